package main

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"time"
)

// runPostgres runs every scenario with PostgreSQL and Redis when
// BENCH_DATABASE_URL and BENCH_REDIS_URL are set: a fresh database is
// created for the run (with psql) and dropped afterwards.
func (b *bench) runPostgres(ctx context.Context) {
	const config = "postgres+redis"
	if b.opts.databaseURL == "" || b.opts.redisURL == "" {
		b.report.skipConfig(config, "BENCH_DATABASE_URL and BENCH_REDIS_URL are not both set")
		return
	}
	if _, err := exec.LookPath("psql"); err != nil {
		b.report.skipConfig(config, "psql is not installed (apt-get install -y postgresql-client)")
		return
	}
	name := fmt.Sprintf("identityd_bench_%d", time.Now().Unix())
	dbURL, err := b.createDatabase(ctx, name)
	if err != nil {
		b.report.skipConfig(config, err.Error())
		return
	}
	defer func() {
		if err := psql(context.Background(), b.opts.databaseURL, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
			logf("%s: %v", config, err)
		}
	}()
	// A key prefix of its own: the Redis database may be shared.
	env := map[string]string{"DATABASE_URL": dbURL, "REDIS_URL": b.opts.redisURL, "REDIS_KEY_PREFIX": name + ":"}
	// A build that ignores DATABASE_URL would silently measure memory.
	t, _, err := b.startTarget(ctx, config, env)
	if err != nil {
		b.report.skipConfig(config, "identityd did not start with PostgreSQL and Redis: "+err.Error())
		return
	}
	tables, err := psqlValue(ctx, dbURL, `SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog','information_schema')`)
	_ = t.proc.stop()
	if err != nil {
		b.report.skipConfig(config, "count the tables of the fresh database: "+err.Error())
		return
	}
	if tables == "0" {
		b.report.skipConfig(config, "identityd created no table in the fresh database: PostgreSQL is not used by this build")
		return
	}
	b.runConfig(ctx, config, env)
}

// createDatabase creates database name next to BENCH_DATABASE_URL's and
// returns its URL.
func (b *bench) createDatabase(ctx context.Context, name string) (string, error) {
	u, err := url.Parse(b.opts.databaseURL)
	if err != nil {
		return "", fmt.Errorf("BENCH_DATABASE_URL: %w", err)
	}
	if err := psql(ctx, b.opts.databaseURL, fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func psql(ctx context.Context, dbURL, stmt string) error {
	_, err := psqlValue(ctx, dbURL, stmt)
	return err
}

func psqlValue(ctx context.Context, dbURL, stmt string) (string, error) {
	out, err := exec.CommandContext(ctx, "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", dbURL, "-c", stmt).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql %q: %w: %s", stmt, err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}
