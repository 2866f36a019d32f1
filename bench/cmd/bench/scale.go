package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/identityd/identityd/adapters/hashing"
)

// scaleSizes are the row counts the scale run seeds.
type scaleSizes struct {
	tokens, clients, users, refresh, codes int
	// audit is the number of audit events: ten per access token, 10^7 at
	// the default size.
	audit int
}

// scaleRun is the scale run's findings, for its report.
type scaleRun struct {
	sizes   scaleSizes
	seed    []timing
	latency []latencyPair
	// auditQuery is GET /api/audit-events?user_id= on the empty and the
	// seeded store (issue 18: p50 within 20 ms and within 2x).
	auditQuery *latencyPair
	explains   []explained
	janitor    janitorResult
	err        error
	notes      []string
}

type timing struct {
	what string
	rows int
	took time.Duration
}

// latencyPair is one scenario measured on the empty and the seeded store.
type latencyPair struct {
	scenario     string
	empty, large wrkResult
	emptyRPS     float64
	largeRPS     float64
}

// explained is one hot query's plan.
type explained struct {
	name, query string
	nodes       []string // plan nodes that read a table, with the relation
	indexed     bool
}

type janitorResult struct {
	expired  int
	deleted  string // the janitor's own count, from its log line
	took     time.Duration
	requests int64
	errors   int64
	p50s     []int64
	err      error
}

// runScale is `make bench-scale`: identityd on a fresh PostgreSQL database,
// issuance and introspection latency on the empty store, then COPY of
// 10^6 access tokens, 10^5 clients and users (and 10^5 refresh tokens
// and codes, so their lookups are planned on real tables), the same
// latency again, EXPLAIN of every hot query, and the janitor over 10^6
// expired rows while issuance goes on.
func (b *bench) runScale(ctx context.Context) error {
	if b.opts.databaseURL == "" || b.opts.redisURL == "" {
		return errors.New("the scale run needs BENCH_DATABASE_URL and BENCH_REDIS_URL")
	}
	sr := &scaleRun{sizes: scaleSizes{tokens: b.opts.scaleTokens, clients: b.opts.scaleTokens / 10, users: b.opts.scaleTokens / 10,
		refresh: b.opts.scaleTokens / 10, codes: b.opts.scaleTokens / 10, audit: b.opts.scaleTokens * 10}}
	start := time.Now()
	if err := b.build(ctx); err != nil {
		return err
	}
	stamp := time.Now().Unix()
	name := fmt.Sprintf("identityd_scale_%d", stamp)
	dbURL, err := b.createDatabase(ctx, name)
	if err != nil {
		return err
	}
	defer func() {
		if err := psql(context.Background(), b.opts.databaseURL, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
			logf("scale: %v", err)
		}
	}()
	env := map[string]string{"DATABASE_URL": dbURL, "REDIS_URL": b.opts.redisURL, "REDIS_KEY_PREFIX": fmt.Sprintf("identityd-scale-%d:", stamp)}
	sr.err = b.scale(ctx, sr, dbURL, env)
	if sr.err != nil {
		logf("scale: %v", sr.err)
	}
	dir := b.opts.results
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(b.root, dir)
	}
	md := b.scaleMarkdown(sr, time.Since(start))
	fmt.Println(md)
	path := filepath.Join(dir, fmt.Sprintf("scale-%s-%s.md", b.report.started.Format("2006-01-02"), b.report.commit()))
	for _, p := range []string{path, filepath.Join(dir, "scale-latest.md")} {
		if err := os.WriteFile(p, []byte(md), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	logf("wrote %s and scale-latest.md", path)
	return sr.err
}

func (b *bench) scale(ctx context.Context, sr *scaleRun, dbURL string, env map[string]string) error {
	t, _, err := b.startTarget(ctx, "postgres+redis", env)
	if err != nil {
		return fmt.Errorf("start identityd: %w", err)
	}
	defer func() { _ = t.proc.stop() }()
	cc, err := prepClientCredentials(ctx, b, t)
	if err != nil {
		return err
	}
	in, err := prepIntrospect(ctx, b, t)
	if err != nil {
		return err
	}
	plans := []struct {
		name string
		p    plan
	}{{"client_credentials", cc.main}, {"introspect", in.main}}
	var empty []wrkResult
	for _, pl := range plans {
		logf("scale: %s on the empty store", pl.name)
		r, err := b.latency(ctx, t, pl.p)
		if err != nil {
			return err
		}
		empty = append(empty, r)
	}
	logf("scale: GET /api/audit-events?user_id= on the empty store")
	aq, err := prepAuditQuery(ctx, b, t)
	if err != nil {
		return err
	}
	auditEmpty, err := b.latency(ctx, t, aq)
	if err != nil {
		return fmt.Errorf("audit query: %w", err)
	}
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return fmt.Errorf("open %s: %w", dbURL, err)
	}
	defer db.Close()
	if err := b.seed(ctx, sr, db); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	logf("scale: GET /api/audit-events?user_id= on %d audit events", sr.sizes.audit)
	if aq, err = prepAuditQuery(ctx, b, t); err != nil { // a fresh token: seeding outlasts one
		return err
	}
	auditLarge, err := b.latency(ctx, t, aq)
	if err != nil {
		return fmt.Errorf("audit query: %w", err)
	}
	sr.auditQuery = &latencyPair{scenario: "GET /api/audit-events?user_id=", empty: auditEmpty, large: auditLarge,
		emptyRPS: rps(auditEmpty), largeRPS: rps(auditLarge)}
	for i, pl := range plans {
		logf("scale: %s on the seeded store", pl.name)
		r, err := b.latency(ctx, t, pl.p)
		if err != nil {
			return err
		}
		sr.latency = append(sr.latency, latencyPair{scenario: pl.name, empty: empty[i], large: r,
			emptyRPS: rps(empty[i]), largeRPS: rps(r)})
	}
	if sr.explains, err = explainHotQueries(ctx, db); err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	sr.janitor = b.janitorUnderLoad(ctx, sr, db, t, cc.main, dbURL, env)
	return sr.janitor.err
}

func rps(r wrkResult) float64 {
	if r.DurationUS == 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

// latency runs p at the scale run's moderate concurrency, where the p50 is
// the cost of a request rather than the length of a queue.
func (b *bench) latency(ctx context.Context, t *target, p plan) (wrkResult, error) {
	if _, err := b.wrk.run(ctx, t.proc.URL, p, b.opts.scaleConns, time.Second); err != nil {
		return wrkResult{}, fmt.Errorf("warm-up: %w", err)
	}
	r, err := b.wrk.run(ctx, t.proc.URL, p, b.opts.scaleConns, b.opts.scaleDuration)
	if err != nil {
		return r, err
	}
	if n := r.errorCount(); n > 0 {
		return r, fmt.Errorf("%d errors (%s)", n, r.errorDetail())
	}
	logf("scale: %.0f req/s, p50 %s", rps(r), us(r.Latency.P50))
	return r, nil
}

func randomUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// copyRows streams n rows into table with COPY.
func copyRows(ctx context.Context, db *sql.DB, table string, cols []string, n int, row func(i int) []any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	copyStmt := fmt.Sprintf("COPY %s (%s) FROM STDIN", pq.QuoteIdentifier(table), strings.Join(quoted, ", "))
	stmt, err := tx.PrepareContext(ctx, copyStmt)
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	for i := range n {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return fmt.Errorf("copy row %d into %s: %w", i, table, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit copy into %s: %w", table, err)
	}
	return nil
}

// Seeded rows' names, so the EXPLAINs can name real rows.
func seedUser(i int) string   { return fmt.Sprintf("seed-user-%07d", i) }
func seedEmail(i int) string  { return fmt.Sprintf("seed-%07d@example.com", i) }
func seedClient(i int) string { return fmt.Sprintf("seed-client-%07d", i) }
func seedHash(kind string, i int) string {
	return fmt.Sprintf("seed-%s-%07d-0123456789abcdef0123456789abcdef", kind, i)
}

// seed COPYs the users, clients (with one scope each), refresh tokens,
// codes and access tokens, then ANALYZEs. The access tokens expired during
// the last day, so that the janitor phase has 10^6 rows to delete; for
// the hot queries they are 10^6 rows in the table and its indexes like any
// others.
func (b *bench) seed(ctx context.Context, sr *scaleRun, db *sql.DB) error {
	hash, err := hashing.NewBcrypt(b.opts.bcryptCost).Hash(benchPassword)
	if err != nil {
		return err
	}
	var scopeID string
	if err := db.QueryRowContext(ctx, `SELECT id FROM scopes WHERE name = $1`, benchScope).Scan(&scopeID); err != nil {
		return fmt.Errorf("scope id: %w", err)
	}
	now := time.Now().UTC()
	z := sr.sizes
	steps := []struct {
		table string
		cols  []string
		n     int
		row   func(i int) []any
	}{
		{"users", []string{"id", "email", "password_hash", "first_name", "last_name", "roles", "failed_logins", "created_at", "updated_at"}, z.users,
			func(i int) []any { return []any{seedUser(i), seedEmail(i), hash, "Seed", "User", "{}", 0, now, now} }},
		{"oauth_clients", []string{"client_id", "name", "secret_hash", "redirect_uris", "grant_types", "public", "first_party", "created_at", "updated_at"}, z.clients,
			func(i int) []any {
				return []any{seedClient(i), "seed client", seedHash("secret", i), "{https://app.example.com/cb}", "{client_credentials,authorization_code,refresh_token}", false, false, now, now}
			}},
		{"client_scopes", []string{"client_id", "scope_id", "scope_name", "position"}, z.clients,
			func(i int) []any { return []any{seedClient(i), scopeID, benchScope, 0} }},
		{"refresh_tokens", []string{"hash", "family_id", "client_id", "user_id", "scopes", "issued_at", "expires_at"}, z.refresh,
			func(i int) []any {
				return []any{seedHash("rt", i), randomUUID(), seedClient(i % z.clients), seedUser(i % z.users), "{" + benchScope + "}", now, now.Add(7 * 24 * time.Hour)}
			}},
		{"authorization_codes", []string{"hash", "client_id", "user_id", "redirect_uri", "scopes", "issued_at", "expires_at"}, z.codes,
			func(i int) []any {
				return []any{seedHash("code", i), seedClient(i % z.clients), seedUser(i % z.users), "https://app.example.com/cb", "{" + benchScope + "}", now, now.Add(10 * time.Minute)}
			}},
		{"access_tokens", []string{"jti", "issuer", "subject", "audience", "client_id", "scopes", "user_id", "family_id", "issued_at", "expires_at", "revoked_at"}, z.tokens,
			func(i int) []any {
				issued := now.Add(-25 * time.Hour).Add(time.Duration(i) * (24 * time.Hour / time.Duration(z.tokens)))
				client, user, family := seedClient(i%z.clients), any(nil), any(nil)
				sub := client
				if i%2 == 1 { // half of them a person's, from a refresh-token family
					user, family = seedUser(i%z.users), fmt.Sprintf("seed-family-%07d", i%z.refresh)
					sub = seedUser(i % z.users)
				}
				var revoked any
				if i%100 == 0 {
					revoked = issued.Add(time.Minute)
				}
				return []any{randomUUID(), "http://localhost", sub, "{http://localhost}", client, "{" + benchScope + "}", user, family, issued, issued.Add(15 * time.Minute), revoked}
			}},
	}
	steps = append(steps, struct {
		table string
		cols  []string
		n     int
		row   func(i int) []any
	}{"audit_events", []string{"id", "type", "actor_type", "actor_id", "subject_id", "user_id", "client_id", "ip", "user_agent", "request_id", "success", "detail", "created_at"}, z.audit,
		func(i int) []any { return seedAuditEvent(i, z, now) }})
	for _, s := range steps {
		logf("scale: COPY %d rows into %s", s.n, s.table)
		t0 := time.Now()
		if err := copyRows(ctx, db, s.table, s.cols, s.n, s.row); err != nil {
			return err
		}
		sr.seed = append(sr.seed, timing{what: "COPY " + s.table, rows: s.n, took: time.Since(t0)})
	}
	t0 := time.Now()
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	sr.seed = append(sr.seed, timing{what: "ANALYZE", took: time.Since(t0)})
	return nil
}

// seedAuditTypes are the event types of the seeded audit log, in the
// proportions of a busy server: mostly issuance.
var seedAuditTypes = []string{"token.issued", "token.issued", "token.issued", "token.issued", "login.succeeded",
	"token.issued", "login.failed", "token.revoked", "client.updated", "consent.granted"}

// seedAuditEvent is the i-th of the seeded audit events, spread over the
// last 30 days: nine in ten concern a person (each seeded person has about
// a hundred at the default size), every one a client.
func seedAuditEvent(i int, z scaleSizes, now time.Time) []any {
	at := now.Add(-30 * 24 * time.Hour).Add(time.Duration(i) * (30 * 24 * time.Hour / time.Duration(max(z.audit, 1))))
	typ := seedAuditTypes[i%len(seedAuditTypes)]
	client, user, actorType, actor := seedClient(i%z.clients), "", "client", seedClient(i%z.clients)
	if i%10 != 9 {
		user = seedUser(i % z.users)
		actorType, actor = "user", user
	}
	return []any{randomUUID(), typ, actorType, actor, randomUUID(), user, client, "192.0.2.1", "bench", randomUUID(), i%7 != 6, "", at}
}

// The hot queries, as adapters/postgres sends them (clients.go,
// access_tokens.go, refresh_tokens.go, auth_codes.go, users.go,
// purge.go, store.go filterWhere), with seeded rows' values in place of
// the parameters.
func hotQueries(now string) []struct{ name, query string } {
	const atCols = `jti, issuer, subject, audience, client_id, scopes, user_id, family_id, auth_code_id, issued_at, expires_at, revoked_at`
	const auditCols = `id, type, actor_type, actor_id, subject_id, user_id, client_id, ip, user_agent, request_id, success, detail, details, created_at`
	const rtCols = `hash, family_id, client_id, user_id, scopes, auth_code_id, issued_at, expires_at, rotated_at, revoked_at, auth_time`
	revokeBy := func(cond string) string {
		return `UPDATE access_tokens SET revoked_at = ` + now + ` WHERE revoked_at IS NULL AND expires_at > ` + now + ` AND ` + cond + ` RETURNING ` + atCols
	}
	return []struct{ name, query string }{
		{"get client (client authentication)", `SELECT c.client_id, c.name, c.secret_hash, c.redirect_uris, c.grant_types, c.public, c.first_party, c.created_at, c.updated_at,
	(SELECT array_agg(cs.scope_name ORDER BY cs.position) FROM client_scopes cs WHERE cs.client_id = c.client_id) AS scopes
	FROM oauth_clients c WHERE c.client_id = '` + seedClient(4242) + `'`},
		{"save token (group-commit INSERT)", `INSERT INTO access_tokens (` + atCols + `) VALUES ('` + randomUUID() + `', 'http://localhost', 'x', '{http://localhost}', '` + seedClient(1) + `', '{a}', NULL, NULL, NULL, ` + now + `, ` + now + ` + interval '15 minutes', NULL) ON CONFLICT (jti) DO NOTHING RETURNING jti`},
		{"get token by jti", `SELECT ` + atCols + ` FROM access_tokens WHERE jti = '00000000-0000-4000-8000-000000004242'`},
		{"revoke by filter: client", revokeBy(`client_id = '` + seedClient(4242) + `'`)},
		{"revoke by filter: user", revokeBy(`user_id = '` + seedUser(4243) + `'`)},
		{"revoke by filter: refresh-token family", revokeBy(`family_id = 'seed-family-0004243'`)},
		{"revoke by filter: authorization code", revokeBy(`auth_code_id = '` + seedHash("code", 4242) + `'`)},
		{"revocations to refill the cache", `SELECT ` + atCols + ` FROM access_tokens WHERE revoked_at IS NOT NULL AND expires_at > ` + now},
		{"refresh lookup by hash (rotation, with the row version)", `SELECT ` + rtCols + `, xmin::text FROM refresh_tokens WHERE hash = '` + seedHash("rt", 4242) + `'`},
		{"refresh rotation and successor (one statement)", `WITH rotated AS (UPDATE refresh_tokens SET rotated_at = COALESCE(rotated_at, ` + now + `)
	WHERE hash = '` + seedHash("rt", 4242) + `' AND xmin = '1'::xid RETURNING ` + rtCols + `),
	successor AS (INSERT INTO refresh_tokens (` + rtCols + `) SELECT 'successor', family_id, client_id, user_id, scopes, auth_code_id,
	` + now + `, expires_at, NULL, NULL, auth_time FROM rotated) SELECT 1 FROM rotated`},
		{"refresh tokens by filter: family", `UPDATE refresh_tokens SET revoked_at = ` + now + ` WHERE revoked_at IS NULL AND family_id = 'x'`},
		{"code lookup by hash (redemption, with the row version)", `SELECT hash, client_id, user_id, redirect_uri, scopes, code_challenge, code_challenge_method, issued_at, expires_at, redeemed_at, xmin::text FROM authorization_codes WHERE hash = '` + seedHash("code", 4242) + `'`},
		{"code redemption (over the version read)", `UPDATE authorization_codes SET redeemed_at = ` + now + ` WHERE hash = '` + seedHash("code", 4242) + `' AND xmin = '1'::xid RETURNING hash`},
		{"user by email (login)", `SELECT id, email, password_hash, first_name, last_name, roles, failed_logins, locked_until, created_at, updated_at FROM users WHERE lower(email) = lower('` + seedEmail(4242) + `')`},
		{"audit events of a person (first page, newest first)", `SELECT ` + auditCols + ` FROM audit_events WHERE user_id = '` + seedUser(4242) + `' ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"audit events of a person (a later page, keyset)", `SELECT ` + auditCols + ` FROM audit_events WHERE user_id = '` + seedUser(4242) + `' AND (created_at, id) < (` + now + ` - interval '10 days', 'z') ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"audit events of a client", `SELECT ` + auditCols + ` FROM audit_events WHERE client_id = '` + seedClient(4242) + `' ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"audit events of a type", `SELECT ` + auditCols + ` FROM audit_events WHERE type = 'client.updated' ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"audit events of a type family (type by type)", `WITH RECURSIVE types(type) AS (
	SELECT min(type) FROM audit_events WHERE type >= 'token.' AND type < 'token/'
	UNION ALL
	SELECT (SELECT min(type) FROM audit_events WHERE type > types.type AND type < 'token/') FROM types WHERE types.type IS NOT NULL)
	SELECT e.* FROM types CROSS JOIN LATERAL (SELECT ` + auditCols + ` FROM audit_events WHERE type = types.type ORDER BY created_at DESC, id DESC LIMIT 51) e
	WHERE types.type IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"audit retention batch", `DELETE FROM audit_events WHERE ctid = ANY(ARRAY(SELECT ctid FROM audit_events WHERE created_at < ` + now + ` - interval '365 days' LIMIT 1000))`},
		{"janitor batch (access tokens)", `DELETE FROM access_tokens WHERE ctid = ANY(ARRAY(SELECT ctid FROM access_tokens WHERE expires_at <= ` + now + ` LIMIT 1000))`},
	}
}

// planNode is the part of EXPLAIN (FORMAT JSON) the report reads.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	Relation  string     `json:"Relation Name"`
	IndexName string     `json:"Index Name"`
	Plans     []planNode `json:"Plans"`
}

func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

// explainHotQueries plans each hot query (EXPLAIN without ANALYZE: nothing
// is written) and records the nodes that read a table.
func explainHotQueries(ctx context.Context, db *sql.DB) ([]explained, error) {
	var out []explained
	for _, q := range hotQueries(`now()`) {
		var raw []byte
		if err := db.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) `+q.query).Scan(&raw); err != nil {
			return nil, fmt.Errorf("%s: %w", q.name, err)
		}
		var plans []struct {
			Plan planNode `json:"Plan"`
		}
		if err := json.Unmarshal(raw, &plans); err != nil || len(plans) == 0 {
			return nil, fmt.Errorf("%s: parse plan: %w", q.name, err)
		}
		e := explained{name: q.name, query: q.query, indexed: true}
		plans[0].Plan.walk(func(n planNode) {
			switch n.NodeType {
			case "Index Scan", "Index Only Scan", "Bitmap Index Scan":
				e.nodes = append(e.nodes, n.NodeType+" using "+n.IndexName)
			case "Seq Scan":
				e.nodes = append(e.nodes, "Seq Scan on "+n.Relation)
				e.indexed = false
			case "Tid Scan", "Tid Range Scan":
				e.nodes = append(e.nodes, n.NodeType+" on "+n.Relation)
			case "ModifyTable":
				if strings.HasPrefix(q.query, "INSERT") {
					e.nodes = append(e.nodes, "Insert on "+n.Relation+" (conflict check through the primary key index)")
				}
			}
		})
		out = append(out, e)
	}
	return out, nil
}

// janitorUnderLoad runs `identityd janitor` over the seeded expired rows
// while wrk keeps issuing client_credentials tokens, in slices, until the
// janitor is done.
func (b *bench) janitorUnderLoad(ctx context.Context, sr *scaleRun, db *sql.DB, t *target, p plan, dbURL string, env map[string]string) janitorResult {
	var jr janitorResult
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM access_tokens WHERE expires_at <= now()`).Scan(&n); err != nil {
		jr.err = fmt.Errorf("count expired: %w", err)
		return jr
	}
	jr.expired = n
	cmd := exec.CommandContext(ctx, b.identityd, "janitor")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range b.serverEnv(env) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "LOG_LEVEL=info")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	logf("scale: janitor over %d expired access tokens, issuance running", n)
	done := make(chan error, 1)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		jr.err = fmt.Errorf("start janitor: %w", err)
		return jr
	}
	go func() { done <- cmd.Wait() }()
	var jerr error
	finished := false
	for !finished {
		r, err := b.wrk.run(ctx, t.proc.URL, p, b.opts.scaleConns, 5*time.Second)
		if err != nil {
			jr.err = err
			<-done
			return jr
		}
		jr.requests += r.Requests
		jr.errors += r.errorCount()
		jr.p50s = append(jr.p50s, r.Latency.P50)
		select {
		case jerr = <-done:
			finished = true
		default:
		}
	}
	jr.took = time.Since(t0) // to the end of the wrk slice it finished in
	for _, line := range strings.Split(out.String(), "\n") {
		var l struct {
			Msg          string `json:"msg"`
			AccessTokens *int64 `json:"access_tokens"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "janitor" && l.AccessTokens != nil {
			jr.deleted = fmt.Sprint(*l.AccessTokens)
		}
	}
	if jerr != nil {
		jr.err = fmt.Errorf("janitor: %w\n%s", jerr, truncate(out.String(), 2000))
	}
	if jr.errors > 0 {
		sr.notes = append(sr.notes, fmt.Sprintf("%d issuance errors while the janitor ran", jr.errors))
	}
	return jr
}

func (b *bench) scaleMarkdown(sr *scaleRun, took time.Duration) string {
	var s strings.Builder
	r := b.report
	commit := r.commit()
	fmt.Fprintf(&s, "# identityd scale run, %s, %s\n\n", r.started.Format("2006-01-02"), commit)
	fmt.Fprintf(&s, "| | |\n| --- | --- |\n| commit | `%s` |\n| date | %s |\n| machine | %s |\n| load average (1, 5, 15 min) | %s at start, %s at end (%d cores) |\n| Go | %s |\n",
		commit, r.started.Format(time.RFC3339), machine(), r.loadStart, loadAvg(), runtime.NumCPU(), runtime.Version())
	command := r.command()
	if c, ok := strings.CutSuffix(command, "make bench"); ok {
		command = c + "make bench-scale"
	} else {
		command += " -scale"
	}
	if v, err := psqlValue(context.Background(), b.opts.databaseURL, `SHOW server_version`); err == nil {
		fmt.Fprintf(&s, "| PostgreSQL | %s (shared with other work on the machine) |\n", v)
	}
	fmt.Fprintf(&s, "| load | wrk, %d connections, %s per measurement after a 1 s warm-up |\n", b.opts.scaleConns, b.opts.scaleDuration)
	fmt.Fprintf(&s, "| command | `%s` |\n| took | %s |\n\n", command, took.Round(time.Second))
	if sr.err != nil {
		fmt.Fprintf(&s, "**The run failed:** %s\n\n", cell(sr.err.Error()))
	}
	z := sr.sizes
	fmt.Fprintf(&s, "## Seeding (COPY through lib/pq's pq.CopyIn, into a fresh database)\n\n%d access tokens, %d clients (one scope each), %d users, %d refresh tokens, %d authorization codes, %d audit events over 30 days (nine in ten concerning a person). The access tokens expired during the last day (1 %% revoked, half of them a person's), so that the janitor has %d rows to delete; the hot queries see them as rows in the table and its indexes like any others.\n\n",
		z.tokens, z.clients, z.users, z.refresh, z.codes, z.audit, z.tokens)
	s.WriteString("| step | rows | took | rows/s |\n| --- | ---: | ---: | ---: |\n")
	for _, t := range sr.seed {
		rate := ""
		if t.rows > 0 {
			rate = fmt.Sprintf("%.0f", float64(t.rows)/t.took.Seconds())
		}
		fmt.Fprintf(&s, "| %s | %d | %s | %s |\n", t.what, t.rows, t.took.Round(10*time.Millisecond), rate)
	}
	s.WriteString("\n## Latency: empty store vs seeded store (target: p50 within 20 %)\n\n")
	s.WriteString("| scenario | empty p50 | seeded p50 | change | empty p95 | seeded p95 | empty req/s | seeded req/s | result |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, l := range sr.latency {
		change := float64(l.large.Latency.P50)/float64(max(l.empty.Latency.P50, 1)) - 1
		res := "met"
		if change > 0.20 {
			res = fmt.Sprintf("**missed** by %.0f points", (change-0.20)*100)
		}
		fmt.Fprintf(&s, "| %s | %s | %s | %+.0f %% | %s | %s | %.0f | %.0f | %s |\n", l.scenario, us(l.empty.Latency.P50), us(l.large.Latency.P50), change*100,
			us(l.empty.Latency.P95), us(l.large.Latency.P95), l.emptyRPS, l.largeRPS, res)
	}
	if a := sr.auditQuery; a != nil {
		fmt.Fprintf(&s, "\n## Audit log query at %d events (target: p50 within 20 ms and within 2x of the empty store)\n\n", z.audit)
		s.WriteString("`GET /api/audit-events?user_id=<a seeded person>&limit=50` with an `audit:read` token: the empty store answers an empty page, the seeded one a full page of that person's newest events (keyset over `idx_audit_events_user_id`).\n\n")
		s.WriteString("| query | empty p50 | seeded p50 | ratio | empty p95 | seeded p95 | empty req/s | seeded req/s | result |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
		ratio := float64(a.large.Latency.P50) / float64(max(a.empty.Latency.P50, 1))
		res := "met"
		switch {
		case a.large.Latency.P50 > 20_000:
			res = fmt.Sprintf("**missed**: p50 %s is over 20 ms", us(a.large.Latency.P50))
		case ratio > 2:
			res = fmt.Sprintf("**missed**: %.1fx the empty store", ratio)
		}
		fmt.Fprintf(&s, "| %s | %s | %s | %.2fx | %s | %s | %.0f | %.0f | %s |\n", a.scenario, us(a.empty.Latency.P50), us(a.large.Latency.P50), ratio,
			us(a.empty.Latency.P95), us(a.large.Latency.P95), a.emptyRPS, a.largeRPS, res)
	}
	s.WriteString("\n## EXPLAIN of the hot queries (on the seeded, analysed tables)\n\n| query | plan nodes that read a table | index scan |\n| --- | --- | --- |\n")
	for _, e := range sr.explains {
		verdict := "yes"
		if !e.indexed {
			verdict = "**no**"
		}
		if len(e.nodes) == 1 && strings.HasPrefix(e.nodes[0], "Insert") {
			verdict = "n/a (insert)"
		}
		fmt.Fprintf(&s, "| %s | %s | %s |\n", e.name, cell(strings.Join(e.nodes, "; ")), verdict)
	}
	s.WriteString("\nThe janitor's batch selects up to 1000 ctids of expired rows with LIMIT; when most rows are expired the planner rightly reads the table from its start and stops after 1000 matches, rather than walking idx_access_tokens_expires_at. Its cost per batch is in the janitor table below.\n")
	j := sr.janitor
	s.WriteString("\n## Janitor over the expired rows while issuance continues\n\n")
	s.WriteString("`identityd janitor` (batches of 1000 rows, each its own statement) against the seeded database while wrk issues client_credentials tokens through the running server in 5 s slices until the janitor exits.\n\n")
	s.WriteString("| expired access tokens | deleted (janitor's count) | janitor took | tokens issued meanwhile | issuance errors | issuance p50 per 5 s slice |\n| ---: | ---: | ---: | ---: | ---: | --- |\n")
	var p50s []string
	for _, p := range j.p50s {
		p50s = append(p50s, us(p))
	}
	fmt.Fprintf(&s, "| %d | %s | %s | %d | %d | %s |\n\n", j.expired, j.deleted, j.took.Round(100*time.Millisecond), j.requests, j.errors, strings.Join(p50s, ", "))
	for _, n := range sr.notes {
		fmt.Fprintf(&s, "- %s\n", n)
	}
	return s.String()
}

// prepAuditQuery is the audit log query of the scale run: one seeded
// person's newest page, with the bootstrap client's audit:read token.
func prepAuditQuery(ctx context.Context, b *bench, t *target) (plan, error) {
	tok, err := t.api.clientCredentials(ctx, b.adminID, b.adminSecret, "audit:read")
	if err != nil {
		return plan{}, fmt.Errorf("audit:read token: %w", err)
	}
	p := plan{Method: http.MethodGet, Path: "/api/audit-events?limit=50&user_id=" + url.QueryEscape(seedUser(4242)),
		Headers: map[string]string{"Authorization": "Bearer " + tok}}
	if _, err := expect200(ctx, t, p, ""); err != nil {
		return plan{}, err
	}
	return p, nil
}
