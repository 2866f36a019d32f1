package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

// scanAccessToken reads accessTokenColumns, in that order.
func scanAccessToken(row interface{ Scan(...any) error }) (core.AccessToken, error) {
	var (
		t                            core.AccessToken
		audience, scopes             pq.StringArray
		userID, familyID, authCodeID sql.NullString
		sourceJTI                    sql.NullString
		revoked                      sql.NullTime
	)
	if err := row.Scan(&t.JTI, &t.Issuer, &t.Subject, &audience, &t.ClientID, &scopes, &userID, &familyID, &authCodeID,
		&t.IssuedAt, &t.ExpiresAt, &revoked, &sourceJTI); err != nil {
		return core.AccessToken{}, err
	}
	t.Audience, t.Scopes = audience, scopes
	t.UserID, t.FamilyID, t.AuthCodeID, t.SourceJTI = userID.String, familyID.String, authCodeID.String, sourceJTI.String
	t.IssuedAt, t.ExpiresAt, t.RevokedAt = t.IssuedAt.UTC(), t.ExpiresAt.UTC(), fromNullTime(revoked)
	return t, nil
}

// queryAccessTokens runs a query for accessTokenColumns and reads every row.
func (s *Store) queryAccessTokens(ctx context.Context, what, query string, args ...any) ([]core.AccessToken, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(ctx, err, what)
	}
	defer rows.Close()
	var out []core.AccessToken
	for rows.Next() {
		t, err := scanAccessToken(rows)
		if err != nil {
			return nil, translate(ctx, err, what)
		}
		out = append(out, t)
	}
	return out, translate(ctx, rows.Err(), what)
}

const (
	accessTokenColumns = `jti, issuer, subject, audience, client_id, scopes, user_id, family_id, auth_code_id, issued_at, expires_at, revoked_at, source_jti`
	// maxBatchRows caps the rows of one INSERT.
	maxBatchRows = 5461
)

// accessTokenSelect reads accessTokenColumns with the times through
// finiteTime ('infinity' written by hand in SQL is read, not a scan error).
var accessTokenSelect = `jti, issuer, subject, audience, client_id, scopes, user_id, family_id, auth_code_id, ` +
	finiteTime("issued_at") + `, ` + finiteTime("expires_at") + `, ` + finiteTime("revoked_at") + `, source_jti`

func accessTokenArgs(t core.AccessToken) []any {
	return []any{
		t.JTI, t.Issuer, t.Subject, pq.StringArray(t.Audience), t.ClientID, pq.StringArray(t.Scopes),
		nullString(t.UserID), nullString(t.FamilyID), nullString(t.AuthCodeID),
		t.IssuedAt, t.ExpiresAt, nullTime(t.RevokedAt), nullString(t.SourceJTI),
	}
}

// SaveAccessToken implements ports.AccessTokenRepository. With group commit
// on (the default) the row joins the next multi-row INSERT; the call returns
// once that INSERT has committed, with this row's own outcome.
func (s *Store) SaveAccessToken(ctx context.Context, t core.AccessToken) error {
	if s.tokens != nil {
		return s.tokens.save(ctx, t)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.exec(ctx, `INSERT INTO access_tokens (`+accessTokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, accessTokenArgs(t)...)
	return translate(ctx, err, "save access token")
}

// insertAccessTokensSQL inserts a batch given as one array per column and
// returns the jtis that were new.
const insertAccessTokensSQL = `INSERT INTO access_tokens (` + accessTokenColumns + `)
	SELECT jti, issuer, subject, audience::text[], client_id, scopes::text[], user_id, family_id, auth_code_id,
		issued_at, expires_at, revoked_at, source_jti
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
		$10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::text[])
		AS t(jti, issuer, subject, audience, client_id, scopes, user_id, family_id, auth_code_id, issued_at, expires_at, revoked_at, source_jti)
	ON CONFLICT (jti) DO NOTHING RETURNING jti`

// insertAccessTokens inserts tokens (distinct jtis) in one statement and
// reports which were new; the others already existed.
func (s *Store) insertAccessTokens(ctx context.Context, tokens []core.AccessToken) (map[string]bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n := len(tokens)
	jti, iss, sub, aud, client, scopes := newArrayLiteral(n, 36), newArrayLiteral(n, 24), newArrayLiteral(n, 36),
		newArrayLiteral(n, 28), newArrayLiteral(n, 24), newArrayLiteral(n, 24)
	user, family, code := newArrayLiteral(n, 36), newArrayLiteral(n, 36), newArrayLiteral(n, 44)
	issued, expires, revoked := newArrayLiteral(n, 32), newArrayLiteral(n, 32), newArrayLiteral(n, 4)
	source := newArrayLiteral(n, 4)
	for _, t := range tokens {
		jti.text(t.JTI)
		iss.text(t.Issuer)
		sub.text(t.Subject)
		aud.array(t.Audience)
		client.text(t.ClientID)
		scopes.array(t.Scopes)
		user.nullText(t.UserID)
		family.nullText(t.FamilyID)
		code.nullText(t.AuthCodeID)
		issued.time(t.IssuedAt)
		expires.time(t.ExpiresAt)
		revoked.nullTime(t.RevokedAt)
		source.nullText(t.SourceJTI)
	}
	what := fmt.Sprintf("save %d access tokens", n)
	rows, err := s.query(ctx, insertAccessTokensSQL, jti.String(), iss.String(), sub.String(), aud.String(), client.String(),
		scopes.String(), user.String(), family.String(), code.String(), issued.String(), expires.String(), revoked.String(), source.String())
	if err != nil {
		return nil, translate(ctx, err, what)
	}
	defer rows.Close()
	out := make(map[string]bool, n)
	for rows.Next() {
		var jti string
		if err := rows.Scan(&jti); err != nil {
			return nil, translate(ctx, err, what)
		}
		out[jti] = true
	}
	return out, translate(ctx, rows.Err(), what)
}

// GetAccessToken implements ports.AccessTokenRepository.
func (s *Store) GetAccessToken(ctx context.Context, jti string) (core.AccessToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t, err := scanAccessToken(s.queryRow(ctx, `SELECT `+accessTokenSelect+` FROM access_tokens WHERE jti = $1`, jti))
	return t, translate(ctx, err, "access token")
}

// RevokeAccessToken implements ports.AccessTokenRepository; a token revoked
// before keeps its first revocation time.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, at time.Time) (core.AccessToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t, err := scanAccessToken(s.queryRow(ctx, `UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, $2)
		WHERE jti = $1 RETURNING `+accessTokenColumns, jti, at))
	return t, translate(ctx, err, "revoke access token")
}

// RevokeAccessTokens implements ports.AccessTokenRepository.
func (s *Store) RevokeAccessTokens(ctx context.Context, f core.TokenFilter, at time.Time) ([]core.AccessToken, error) {
	where, args := filterWhere(f, 2)
	if where == "" {
		return nil, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.queryAccessTokens(ctx, "revoke access tokens", `UPDATE access_tokens SET revoked_at = $1
		WHERE revoked_at IS NULL AND expires_at > $1 AND `+where+` RETURNING `+accessTokenColumns,
		append([]any{at}, args...)...)
}

// ListRevokedAccessTokens implements ports.AccessTokenRepository.
func (s *Store) ListRevokedAccessTokens(ctx context.Context, now time.Time) ([]core.AccessToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.queryAccessTokens(ctx, "list revoked access tokens", `SELECT `+accessTokenColumns+` FROM access_tokens
		WHERE revoked_at IS NOT NULL AND expires_at > $1`, now)
}

// ListUserAccessTokens implements ports.UserTokenLister through
// idx_access_tokens_user_id.
func (s *Store) ListUserAccessTokens(ctx context.Context, userID string, now time.Time) ([]core.AccessToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.queryAccessTokens(ctx, "list access tokens", `SELECT `+accessTokenSelect+` FROM access_tokens
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY issued_at DESC LIMIT $3`, userID, now, core.MaxListedTokens)
}
