// Command identityd is the OAuth 2.0 authorization server and identity
// service. Run "identityd" or "identityd serve" to serve; see usage for the
// other commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/identityd/identityd/adapters/logging"
	"github.com/identityd/identityd/adapters/system"
	"github.com/identityd/identityd/adapters/telemetry"
	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/ports"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: identityd [command]

commands:
  serve          run the HTTP server (the default)
  migrate up|down|status
                 apply, roll back or list the SQL migrations on DATABASE_URL
  keys rotate    make new signing keys the active ones on every instance
                 sharing DATABASE_URL (needs only DATABASE_URL)
  keys reseal    seal the stored signing keys sealed under
                 JWT_REFRESH_SECRET_PREVIOUS under JWT_REFRESH_SECRET
                 (needs DATABASE_URL and both secrets)
  keys status    count the signing keys and client secrets still under
                 another JWT_REFRESH_SECRET, and tell until when tokens of
                 JWT_SECRET_PREVIOUS and JWT_REFRESH_SECRET_PREVIOUS may be
                 valid (needs DATABASE_URL and the secrets)
  janitor        delete expired tokens, codes and reset tokens once, then exit
  healthcheck    exit 0 if the server on PORT answers /healthz
  version        print the version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "identityd", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	case "serve", "migrate", "janitor", "healthcheck", "keys":
	default:
		fmt.Fprintf(stderr, "identityd: unknown command %q\n%s", cmd, usage)
		return 2
	}
	lookup, err := envLookup(".env")
	if err != nil {
		fmt.Fprintf(stderr, "identityd: .env: %v\n", err)
		return 2
	}
	if cmd == "keys" {
		return keys(lookup, args, stdout, stderr)
	}
	load := app.LoadConfig
	if cmd == "migrate" {
		// Migrating needs only DATABASE_URL (contract §1).
		load = app.LoadMigrateConfig
	}
	cfg, err := load(lookup)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "identityd: configuration: %s\n", line)
		}
		return 2
	}
	cfg.Version = version
	logger, closeLog, err := logging.New(logging.Options{Level: cfg.Log.Level.String(), File: cfg.Log.File}, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "identityd: configuration: LOG_FILE: %v\n", err)
		return 2
	}
	defer closeLog.Close()
	logger = slog.New(telemetry.NewLogHandler(logger.Handler(), app.TelemetryOptions(cfg).Identity()))
	switch cmd {
	case "healthcheck":
		return healthcheck(cfg, stderr)
	case "migrate":
		return migrate(cfg, args, stdout, stderr, logger)
	case "janitor":
		return janitor(cfg, logger, stderr)
	}
	return serve(cfg, logger, stderr)
}

func serve(cfg app.Config, logger *slog.Logger, stderr io.Writer) int {
	warnings := cfg.Warnings
	if cfg.InMemory() {
		warnings = append([]string{"no DATABASE_URL or REDIS_URL: running on in-memory adapters; every client, user and token is lost when the process exits"}, warnings...)
	}
	if len(warnings) > 0 {
		logger.Warn(strings.Join(warnings, "; "))
	}
	a := app.New(cfg, logger, stderr)
	startCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := a.Start(startCtx); err != nil {
		fmt.Fprintf(stderr, "identityd: cannot start: %s\n", app.StartError(err))
		return 1
	}
	sig := <-a.Wait()
	logger.Info("shutting down", "signal", sig.Signal.String())
	stopCtx, cancelStop := context.WithTimeout(context.Background(), cfg.HTTP.DrainDelay+cfg.HTTP.ShutdownTimeout+5*time.Second)
	defer cancelStop()
	if err := a.Stop(stopCtx); err != nil {
		logger.Error("stop", "error", err.Error())
		return 1
	}
	return sig.ExitCode
}

func janitor(cfg app.Config, logger *slog.Logger, stderr io.Writer) int {
	if cfg.Database.URL == "" {
		fmt.Fprintln(stderr, "identityd: janitor: DATABASE_URL is not set; an in-memory store has nothing to clean")
		return 2
	}
	var purger ports.Purger
	a := app.StoreOnly(cfg, logger, &purger)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "identityd: janitor: cannot start: %s\n", app.StartError(err))
		return 1
	}
	defer func() { _ = a.Stop(context.Background()) }()
	if err := app.RunJanitor(ctx, purger, system.Clock{}, logger); err != nil {
		logger.Error("janitor", "error", err.Error())
		return 1
	}
	return 0
}

func migrate(cfg app.Config, args []string, stdout, stderr io.Writer, logger *slog.Logger) int {
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		fmt.Fprint(stderr, "identityd: migrate needs one of up, down, status\n")
		return 2
	}
	if cfg.Database.URL == "" {
		fmt.Fprintln(stderr, "identityd: migrate: DATABASE_URL is not set")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := app.Migrate(ctx, cfg, args[0], stdout, logger); err != nil {
		fmt.Fprintf(stderr, "identityd: migrate %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// keys runs `identityd keys rotate`, which needs only DATABASE_URL, and
// `keys reseal` and `keys status`, which need JWT_REFRESH_SECRET too.
func keys(lookup app.Lookup, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || (args[0] != "rotate" && args[0] != "reseal" && args[0] != "status") {
		fmt.Fprint(stderr, "identityd: keys needs one of the subcommands rotate, reseal, status\n")
		return 2
	}
	if args[0] != "rotate" {
		return keysWithSecrets(lookup, args[0], stdout, stderr)
	}
	dbURL, _ := lookup("DATABASE_URL")
	if dbURL == "" {
		fmt.Fprintln(stderr, "identityd: keys rotate: DATABASE_URL is not set; an in-memory server rotates only by SIGNING_KEY_ROTATION_INTERVAL")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), app.StartTimeout)
	defer cancel()
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	n, err := app.RotateSigningKeys(ctx, dbURL, logger)
	if err != nil {
		fmt.Fprintf(stderr, "identityd: keys rotate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "retired %d signing key(s); every instance makes or finds the new keys within a minute, and publishes the retired ones until the tokens they signed have expired\n", n)
	return 0
}

// keysWithSecrets runs `identityd keys reseal` or `identityd keys status`.
func keysWithSecrets(lookup app.Lookup, cmd string, stdout, stderr io.Writer) int {
	kc, err := app.LoadKeysConfig(lookup, cmd == "reseal")
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "identityd: keys %s: %s\n", cmd, line)
		}
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), app.StartTimeout)
	defer cancel()
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if cmd == "reseal" {
		n, err := app.ResealSigningKeys(ctx, kc, logger)
		if err != nil {
			fmt.Fprintf(stderr, "identityd: keys reseal: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "resealed %d signing key(s) under JWT_REFRESH_SECRET\n", n)
		return 0
	}
	st, err := app.KeysStatus(ctx, kc, logger)
	if err != nil {
		fmt.Fprintf(stderr, "identityd: keys status: %v\n", err)
		return 1
	}
	k := st.SigningKeys
	fmt.Fprintf(stdout, "signing keys sealed under JWT_REFRESH_SECRET: %d\n", k.Current)
	fmt.Fprintf(stdout, "signing keys sealed under JWT_REFRESH_SECRET_PREVIOUS: %d\n", k.Previous)
	fmt.Fprintf(stdout, "signing keys sealed under another secret (not read): %d\n", k.Other)
	fmt.Fprintf(stdout, "client secrets not hashed under JWT_REFRESH_SECRET: %d\n", st.ClientSecretsNotCurrent)
	now := time.Now().UTC()
	printUntil := func(what string, until time.Time) {
		switch {
		case until.IsZero():
			fmt.Fprintf(stdout, "%s: no recorded use\n", what)
		case until.After(now):
			fmt.Fprintf(stdout, "%s: may be valid until %s\n", what, until.UTC().Format(time.RFC3339))
		default:
			fmt.Fprintf(stdout, "%s: none valid any more\n", what)
		}
	}
	if kc.PreviousSecret != nil {
		printUntil("access tokens signed with JWT_SECRET_PREVIOUS", st.AccessTokensUntil)
	}
	if kc.PreviousRefreshSecret != nil {
		printUntil("refresh tokens, codes and links made under JWT_REFRESH_SECRET_PREVIOUS and not used since", st.RefreshTokensUntil)
	}
	return 0
}

func healthcheck(cfg app.Config, stderr io.Writer) int {
	scheme := "http"
	if cfg.HTTP.TLSCertFile != "" {
		scheme = "https"
	}
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(fmt.Sprintf("%s://127.0.0.1:%d/healthz", scheme, cfg.HTTP.Port))
	if err != nil {
		fmt.Fprintf(stderr, "identityd: healthcheck: %v\n", err)
		return 1
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "identityd: healthcheck: status %d\n", resp.StatusCode)
		return 1
	}
	return 0
}

// envLookup reads the environment, falling back to a .env file when one
// exists. Variables already in the environment win.
func envLookup(path string) (app.Lookup, error) {
	file := map[string]string{}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected NAME=value", i+1)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		file[k] = v
	}
	return func(name string) (string, bool) {
		if v, ok := os.LookupEnv(name); ok {
			return v, true
		}
		v, ok := file[name]
		return v, ok
	}, nil
}
