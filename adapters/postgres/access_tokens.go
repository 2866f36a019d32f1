package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

type accessTokenRow struct {
	JTI        string         `db:"jti"`
	Issuer     string         `db:"issuer"`
	Subject    string         `db:"subject"`
	Audience   pq.StringArray `db:"audience"`
	ClientID   string         `db:"client_id"`
	Scopes     pq.StringArray `db:"scopes"`
	UserID     sql.NullString `db:"user_id"`
	FamilyID   sql.NullString `db:"family_id"`
	AuthCodeID sql.NullString `db:"auth_code_id"`
	IssuedAt   time.Time      `db:"issued_at"`
	ExpiresAt  time.Time      `db:"expires_at"`
	RevokedAt  sql.NullTime   `db:"revoked_at"`
}

func (r accessTokenRow) token() core.AccessToken {
	return core.AccessToken{
		JTI: r.JTI, Issuer: r.Issuer, Subject: r.Subject, Audience: r.Audience, ClientID: r.ClientID,
		Scopes: r.Scopes, UserID: r.UserID.String, FamilyID: r.FamilyID.String, AuthCodeID: r.AuthCodeID.String,
		IssuedAt: r.IssuedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), RevokedAt: fromNullTime(r.RevokedAt),
	}
}

const (
	accessTokenColumns = `jti, issuer, subject, audience, client_id, scopes, user_id, family_id, auth_code_id, issued_at, expires_at, revoked_at`
	accessTokenArity   = 12
	// maxBatchRows keeps one INSERT under PostgreSQL's 65535 parameters.
	maxBatchRows = 65535 / accessTokenArity
)

func accessTokenArgs(t core.AccessToken) []any {
	return []any{
		t.JTI, t.Issuer, t.Subject, pq.StringArray(t.Audience), t.ClientID, pq.StringArray(t.Scopes),
		nullString(t.UserID), nullString(t.FamilyID), nullString(t.AuthCodeID),
		t.IssuedAt, t.ExpiresAt, nullTime(t.RevokedAt),
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
	_, err := s.db.ExecContext(ctx, `INSERT INTO access_tokens (`+accessTokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, accessTokenArgs(t)...)
	return translate(ctx, err, "save access token")
}

// insertAccessTokens inserts tokens (distinct jtis) in one statement and
// reports which were new; the others already existed.
func (s *Store) insertAccessTokens(ctx context.Context, tokens []core.AccessToken) (map[string]bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var b strings.Builder
	b.Grow(64 + len(tokens)*accessTokenArity*6)
	b.WriteString(`INSERT INTO access_tokens (` + accessTokenColumns + `) VALUES `)
	args := make([]any, 0, len(tokens)*accessTokenArity)
	for i, t := range tokens {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := 0; j < accessTokenArity; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i*accessTokenArity + j + 1))
		}
		b.WriteByte(')')
		args = append(args, accessTokenArgs(t)...)
	}
	b.WriteString(` ON CONFLICT (jti) DO NOTHING RETURNING jti`)
	var inserted []string
	if err := s.db.SelectContext(ctx, &inserted, b.String(), args...); err != nil {
		return nil, translate(ctx, err, fmt.Sprintf("save %d access tokens", len(tokens)))
	}
	out := make(map[string]bool, len(inserted))
	for _, j := range inserted {
		out[j] = true
	}
	return out, nil
}

// GetAccessToken implements ports.AccessTokenRepository.
func (s *Store) GetAccessToken(ctx context.Context, jti string) (core.AccessToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r accessTokenRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+accessTokenColumns+` FROM access_tokens WHERE jti = $1`, jti); err != nil {
		return core.AccessToken{}, translate(ctx, err, "access token")
	}
	return r.token(), nil
}

// RevokeAccessToken implements ports.AccessTokenRepository; a token revoked
// before keeps its first revocation time.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, at time.Time) (core.AccessToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r accessTokenRow
	err := s.db.GetContext(ctx, &r, `UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, $2)
		WHERE jti = $1 RETURNING `+accessTokenColumns, jti, at)
	if err != nil {
		return core.AccessToken{}, translate(ctx, err, "revoke access token")
	}
	return r.token(), nil
}

// RevokeAccessTokens implements ports.AccessTokenRepository.
func (s *Store) RevokeAccessTokens(ctx context.Context, f core.TokenFilter, at time.Time) ([]core.AccessToken, error) {
	where, args := filterWhere(f, 2)
	if where == "" {
		return nil, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var rows []accessTokenRow
	err := s.db.SelectContext(ctx, &rows, `UPDATE access_tokens SET revoked_at = $1
		WHERE revoked_at IS NULL AND expires_at > $1 AND `+where+` RETURNING `+accessTokenColumns,
		append([]any{at}, args...)...)
	if err != nil {
		return nil, translate(ctx, err, "revoke access tokens")
	}
	return accessTokens(rows), nil
}

// ListRevokedAccessTokens implements ports.AccessTokenRepository.
func (s *Store) ListRevokedAccessTokens(ctx context.Context, now time.Time) ([]core.AccessToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var rows []accessTokenRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+accessTokenColumns+` FROM access_tokens
		WHERE revoked_at IS NOT NULL AND expires_at > $1`, now)
	if err != nil {
		return nil, translate(ctx, err, "list revoked access tokens")
	}
	return accessTokens(rows), nil
}

func accessTokens(rows []accessTokenRow) []core.AccessToken {
	var out []core.AccessToken
	for _, r := range rows {
		out = append(out, r.token())
	}
	return out
}
