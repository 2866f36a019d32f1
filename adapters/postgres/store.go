package postgres

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// StoreOptions tune the Store.
type StoreOptions struct {
	// BatchMaxRows caps the rows of one group-committed INSERT of
	// access tokens or of refresh tokens (default 256). 1 turns group
	// commit off: each SaveAccessToken and CreateRefreshToken then runs
	// its own INSERT.
	BatchMaxRows int
	// BatchMaxDelay is how long the writer waits for more rows once it
	// holds one while an earlier INSERT is still running (default 1ms);
	// when none is, the batch goes at once.
	BatchMaxDelay time.Duration
	// BatchMaxInFlight is how many batch INSERTs may run at once
	// (default 4).
	BatchMaxInFlight int
}

func (o StoreOptions) withDefaults() StoreOptions {
	if o.BatchMaxRows <= 0 {
		o.BatchMaxRows = 256
	}
	if o.BatchMaxRows > maxBatchRows {
		o.BatchMaxRows = maxBatchRows
	}
	if o.BatchMaxDelay <= 0 {
		o.BatchMaxDelay = time.Millisecond
	}
	if o.BatchMaxInFlight <= 0 {
		o.BatchMaxInFlight = 4
	}
	return o
}

// Store implements every repository port on PostgreSQL.
type Store struct {
	db      *sqlx.DB
	timeout time.Duration
	pinger  *DB
	tokens  *batcher[core.AccessToken]
	refresh *batcher[core.RefreshToken]
	stmts   sync.Map // query -> *sql.Stmt
}

var (
	_ ports.ClientRepository        = (*Store)(nil)
	_ ports.ClientSecretKeys        = (*Store)(nil)
	_ ports.ScopeRepository         = (*Store)(nil)
	_ ports.UserRepository          = (*Store)(nil)
	_ ports.AccessTokenRepository   = (*Store)(nil)
	_ ports.RefreshTokenRepository  = (*Store)(nil)
	_ ports.AuthCodeRepository      = (*Store)(nil)
	_ ports.PasswordResetRepository = (*Store)(nil)
	_ ports.LoginDeviceRepository   = (*Store)(nil)
	_ ports.AuditLog                = (*Store)(nil)
	_ ports.Purger                  = (*Store)(nil)
	_ ports.Pinger                  = (*Store)(nil)
)

// NewStore returns a Store over db. It starts the access-token writer;
// Close stops it.
func NewStore(db *DB, opts StoreOptions) *Store {
	opts = opts.withDefaults()
	s := &Store{db: db.db, timeout: db.queryTimeout, pinger: db}
	if opts.BatchMaxRows > 1 {
		s.tokens = newBatcher("save access token", opts, db.queryTimeout,
			func(t core.AccessToken) string { return t.JTI }, s.insertAccessTokens)
		s.refresh = newBatcher("create refresh token", opts, db.queryTimeout,
			func(t core.RefreshToken) string { return t.Hash }, s.insertRefreshTokens)
	}
	return s
}

// Close waits for pending access-token writes to finish and refuses new
// ones. It does not close db.
func (s *Store) Close() error {
	if s.tokens != nil {
		s.tokens.close()
		s.refresh.close()
	}
	s.stmts.Range(func(_, st any) bool {
		_ = st.(*sql.Stmt).Close()
		return true
	})
	return nil
}

// prepared returns query as a prepared statement, made once per Store;
// database/sql prepares it on each pooled connection the first time that
// connection runs it. A prepared statement goes out as its name and the
// parameters, and PostgreSQL neither parses nor plans it again.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		_ = st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// queryRow runs query, one of the fixed statements of a hot path, as a
// prepared statement. When it cannot be prepared (the database is away),
// it runs unprepared, to fail with the error that says why.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// query is queryRow for a statement that returns rows.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return s.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// exec is queryRow for a statement that returns no rows.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return s.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// Ping implements ports.Pinger.
func (s *Store) Ping(ctx context.Context) error { return s.pinger.Ping(ctx) }

// bound limits ctx to the query timeout.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// inTx runs fn in a transaction and commits when it returns nil. Errors from
// fn come back unchanged; fn translates its own driver errors.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx *sqlx.Tx) error) error {
	return inTx(ctx, s.db, what, fn)
}

// inTx runs fn in a transaction of db, committed when fn succeeds.
func inTx(ctx context.Context, db *sqlx.DB, what string, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return translate(ctx, err, what+": begin")
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return translate(ctx, err, what+": commit")
	}
	return nil
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromNullTime reads a nullable timestamptz back, in UTC.
// finiteTime is a SELECT expression for the timestamptz column col that
// reads 'infinity' and '-infinity' (and years Go cannot hold), which an
// operator may write by hand, as the last and first instants Go's time
// holds: the driver cannot scan the infinities. NULL stays NULL.
func finiteTime(col string) string {
	return `CASE WHEN ` + col + ` IS NULL THEN NULL ELSE LEAST(GREATEST(` + col +
		`, '0001-01-01 00:00:00+00'::timestamptz), '9999-12-31 23:59:59.999999+00'::timestamptz) END AS ` + col
}

func fromNullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// pageLimit is the LIMIT of a page: NULL (no limit) when p.Limit <= 0.
func pageLimit(p core.Page) any {
	if p.Limit <= 0 {
		return nil
	}
	return p.Limit
}

// filterWhere renders the conditions of a token filter, numbering its
// parameters from $next. It returns "" for an empty filter.
func filterWhere(f core.TokenFilter, next int) (string, []any) {
	var conds []string
	var args []any
	add := func(col, v string) {
		if v == "" {
			return
		}
		conds = append(conds, col+" = $"+strconv.Itoa(next+len(args)))
		args = append(args, v)
	}
	add("client_id", f.ClientID)
	add("user_id", f.UserID)
	add("family_id", f.FamilyID)
	add("auth_code_id", f.AuthCodeID)
	add("source_jti", f.SourceJTI)
	return strings.Join(conds, " AND "), args
}
