package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

const refreshTokenColumns = `hash, family_id, client_id, user_id, scopes, auth_code_id, issued_at, expires_at, rotated_at, revoked_at, auth_time, amr`

// refreshTokenSelect reads refreshTokenColumns with the times through
// finiteTime, so 'infinity' written by hand in SQL is read, not a scan
// error.
var refreshTokenSelect = `hash, family_id, client_id, user_id, scopes, auth_code_id, ` + finiteTime("issued_at") + `, ` +
	finiteTime("expires_at") + `, ` + finiteTime("rotated_at") + `, ` + finiteTime("revoked_at") + `, ` + finiteTime("auth_time") + `, amr`

// holderJoin reads, next to a refresh token, the standing of its person
// (core.Standing) in the same statement: a refresh checks the person
// without another round trip. Its columns have names of their own, so the
// token's columns stay unambiguous.
const holderJoin = ` FROM refresh_tokens LEFT JOIN LATERAL (
	SELECT disabled AS holder_disabled, not_before AS holder_not_before, roles AS holder_roles
	FROM users WHERE users.id = refresh_tokens.user_id) holder ON true
	WHERE hash = $1`

// holderColumns are holderJoin's columns, in holderDest's order.
const holderColumns = `holder_disabled, holder_not_before, holder_roles`

// holderDest scans holderColumns.
type holderDest struct {
	disabled  sql.NullBool
	notBefore sql.NullTime
	roles     pq.StringArray
}

func (h *holderDest) dest() []any { return []any{&h.disabled, &h.notBefore, &h.roles} }

func (h *holderDest) standing() core.Standing {
	st := core.Standing{Disabled: h.disabled.Bool, NotBefore: fromNullTime(h.notBefore)}
	if len(h.roles) > 0 {
		st.Roles = h.roles
	}
	return st
}

// scanRefreshToken reads refreshTokenColumns, in that order, and then
// extra.
func scanRefreshToken(row interface{ Scan(...any) error }, extra ...any) (core.RefreshToken, error) {
	var (
		t                          core.RefreshToken
		userID, authCodeID         sql.NullString
		scopes, amr                pq.StringArray
		rotated, revoked, authTime sql.NullTime
	)
	dest := append([]any{&t.Hash, &t.FamilyID, &t.ClientID, &userID, &scopes, &authCodeID, &t.IssuedAt, &t.ExpiresAt,
		&rotated, &revoked, &authTime, &amr}, extra...)
	if err := row.Scan(dest...); err != nil {
		return core.RefreshToken{}, err
	}
	t.UserID, t.AuthCodeID, t.Scopes = userID.String, authCodeID.String, scopes
	if len(amr) > 0 {
		t.AMR = amr
	}
	t.IssuedAt, t.ExpiresAt = t.IssuedAt.UTC(), t.ExpiresAt.UTC()
	t.RotatedAt, t.RevokedAt, t.AuthTime = fromNullTime(rotated), fromNullTime(revoked), fromNullTime(authTime)
	return t, nil
}

func refreshTokenArgs(t core.RefreshToken) []any {
	return []any{t.Hash, t.FamilyID, t.ClientID, nullString(t.UserID), pq.StringArray(t.Scopes), nullString(t.AuthCodeID),
		t.IssuedAt, t.ExpiresAt, nullTime(t.RotatedAt), nullTime(t.RevokedAt), nullTime(t.AuthTime), pq.StringArray(t.AMR)}
}

// CreateRefreshToken implements ports.RefreshTokenRepository. Its client
// and user must exist (core.ErrConflict otherwise). With group commit on
// (the default) the row joins the next multi-row INSERT, as access tokens
// do; the call returns once that INSERT has committed, with this row's own
// outcome.
func (s *Store) CreateRefreshToken(ctx context.Context, t core.RefreshToken) error {
	if s.refresh != nil {
		return s.refresh.save(ctx, t)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.exec(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, refreshTokenArgs(t)...)
	return translate(ctx, err, "create refresh token")
}

// insertRefreshTokensSQL inserts a batch given as one array per column and
// returns the hashes that were new.
const insertRefreshTokensSQL = `INSERT INTO refresh_tokens (` + refreshTokenColumns + `)
	SELECT hash, family_id, client_id, user_id, scopes::text[], auth_code_id, issued_at, expires_at, rotated_at, revoked_at, auth_time,
		NULLIF(amr, '{}')::text[]
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
		$7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::text[])
		AS t(hash, family_id, client_id, user_id, scopes, auth_code_id, issued_at, expires_at, rotated_at, revoked_at, auth_time, amr)
	ON CONFLICT (hash) DO NOTHING RETURNING hash`

// insertRefreshTokens inserts tokens (distinct hashes) in one statement and
// reports which were new; the others already existed.
func (s *Store) insertRefreshTokens(ctx context.Context, tokens []core.RefreshToken) (map[string]bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n := len(tokens)
	hash, family, client, user, scopes, code := newArrayLiteral(n, 44), newArrayLiteral(n, 36), newArrayLiteral(n, 24),
		newArrayLiteral(n, 36), newArrayLiteral(n, 24), newArrayLiteral(n, 44)
	issued, expires, rotated, revoked, authTime := newArrayLiteral(n, 32), newArrayLiteral(n, 32), newArrayLiteral(n, 4),
		newArrayLiteral(n, 4), newArrayLiteral(n, 32)
	amr := newArrayLiteral(n, 8)
	for _, t := range tokens {
		hash.text(t.Hash)
		family.text(t.FamilyID)
		client.text(t.ClientID)
		user.nullText(t.UserID)
		scopes.array(t.Scopes)
		code.nullText(t.AuthCodeID)
		issued.time(t.IssuedAt)
		expires.time(t.ExpiresAt)
		rotated.nullTime(t.RotatedAt)
		revoked.nullTime(t.RevokedAt)
		authTime.nullTime(t.AuthTime)
		amr.array(t.AMR)
	}
	what := fmt.Sprintf("create %d refresh tokens", n)
	rows, err := s.query(ctx, insertRefreshTokensSQL, hash.String(), family.String(), client.String(), user.String(),
		scopes.String(), code.String(), issued.String(), expires.String(), rotated.String(), revoked.String(), authTime.String(), amr.String())
	if err != nil {
		return nil, translate(ctx, err, what)
	}
	defer rows.Close()
	out := make(map[string]bool, n)
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, translate(ctx, err, what)
		}
		out[h] = true
	}
	return out, translate(ctx, rows.Err(), what)
}

// GetRefreshToken implements ports.RefreshTokenRepository.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (core.RefreshToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var h holderDest
	t, err := scanRefreshToken(s.queryRow(ctx, `SELECT `+refreshTokenSelect+`, `+holderColumns+holderJoin, hash), h.dest()...)
	t.Holder = h.standing()
	return t, translate(ctx, err, "refresh token")
}

// rotateRefreshToken marks the token hash rotated at $3 (keeping an earlier
// rotation time) and inserts its successor ($4...$15), in one statement and
// only while the row is still the version read ($2, its xmin): a concurrent
// rotation or revocation since makes it match no row, and the statement
// return none.
const rotateRefreshToken = `WITH rotated AS (
	UPDATE refresh_tokens SET rotated_at = COALESCE(rotated_at, $3)
	WHERE hash = $1 AND xmin = $2::xid
	RETURNING ` + refreshTokenColumns + `
), successor AS (
	INSERT INTO refresh_tokens (` + refreshTokenColumns + `)
	SELECT $4::text, $5::text, $6::text, $7::text, $8::text[], $9::text,
		$10::timestamptz, $11::timestamptz, $12::timestamptz, $13::timestamptz, $14::timestamptz, $15::text[]
	FROM rotated
)
SELECT 1 FROM rotated`

// RotateRefreshToken implements ports.RefreshTokenRepository without a
// transaction: it reads the token with its row version, calls fn, and
// writes the rotation and the successor in one statement that applies only
// to the version read. When another writer changed the row in between
// (a concurrent rotation, a revocation), it reads again and calls fn again
// on what that writer left, so of concurrent rotations of one token each
// later one sees it rotated, as under a row lock. Two round trips.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, fn func(core.RefreshToken) (core.RefreshToken, error)) (core.RefreshToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const what = "rotate refresh token"
	for {
		var version string
		var h holderDest
		old, err := scanRefreshToken(s.queryRow(ctx,
			`SELECT `+refreshTokenSelect+`, refresh_tokens.xmin::text, `+holderColumns+holderJoin, hash), append([]any{&version}, h.dest()...)...)
		if err != nil {
			return core.RefreshToken{}, translate(ctx, err, what)
		}
		old.Holder = h.standing()
		next, err := fn(old)
		if err != nil {
			return old, err
		}
		args := append([]any{hash, version, next.IssuedAt}, refreshTokenArgs(next)...)
		var one int
		err = s.queryRow(ctx, rotateRefreshToken, args...).Scan(&one)
		switch {
		case err == nil:
			// The row was the version read: what the update left is
			// known without reading it back.
			if old.RotatedAt.IsZero() {
				old.RotatedAt = next.IssuedAt.Round(time.Microsecond).UTC()
			}
			return old, nil
		case errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil:
			continue // changed since it was read
		default:
			return old, translate(ctx, err, what)
		}
	}
}

// RevokeRefreshTokens implements ports.RefreshTokenRepository.
func (s *Store) RevokeRefreshTokens(ctx context.Context, f core.TokenFilter, at time.Time) (int, error) {
	where, args := filterWhere(f, 2)
	if where == "" || f.SourceJTI != "" { // no refresh token has a source
		return 0, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND `+where,
		append([]any{at}, args...)...)
	if err != nil {
		return 0, translate(ctx, err, "revoke refresh tokens")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(ctx, err, "revoke refresh tokens")
	}
	return int(n), nil
}

// ListUserRefreshTokens implements ports.UserTokenLister through
// idx_refresh_tokens_user_id.
func (s *Store) ListUserRefreshTokens(ctx context.Context, userID string, now time.Time) ([]core.RefreshToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT `+refreshTokenSelect+` FROM refresh_tokens
		WHERE user_id = $1 AND expires_at > $2 ORDER BY issued_at DESC LIMIT $3`, userID, now, core.MaxListedTokens)
	if err != nil {
		return nil, translate(ctx, err, "list refresh tokens")
	}
	defer rows.Close()
	var out []core.RefreshToken
	for rows.Next() {
		t, err := scanRefreshToken(rows)
		if err != nil {
			return nil, translate(ctx, err, "list refresh tokens")
		}
		out = append(out, t)
	}
	return out, translate(ctx, rows.Err(), "list refresh tokens")
}
