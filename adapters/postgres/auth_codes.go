package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

const authCodeColumns = `hash, client_id, user_id, redirect_uri, scopes, code_challenge, code_challenge_method, issued_at, expires_at, redeemed_at, nonce, auth_time, amr`

// scanAuthCode reads authCodeColumns, in that order, and then extra.
func scanAuthCode(row interface{ Scan(...any) error }, extra ...any) (core.AuthCode, error) {
	var (
		c                  core.AuthCode
		scopes             pq.StringArray
		redeemed, authTime sql.NullTime
		amr                pq.StringArray
	)
	dest := append([]any{&c.Hash, &c.ClientID, &c.UserID, &c.RedirectURI, &scopes, &c.CodeChallenge, &c.CodeChallengeMethod,
		&c.IssuedAt, &c.ExpiresAt, &redeemed, &c.Nonce, &authTime, &amr}, extra...)
	if err := row.Scan(dest...); err != nil {
		return core.AuthCode{}, err
	}
	c.Scopes, c.IssuedAt, c.ExpiresAt = scopes, c.IssuedAt.UTC(), c.ExpiresAt.UTC()
	c.RedeemedAt, c.AuthTime = fromNullTime(redeemed), fromNullTime(authTime)
	if len(amr) > 0 {
		c.AMR = amr
	}
	return c, nil
}

// CreateAuthCode implements ports.AuthCodeRepository. Its client and user
// must exist (core.ErrConflict otherwise).
func (s *Store) CreateAuthCode(ctx context.Context, c core.AuthCode) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO authorization_codes (`+authCodeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.Hash, c.ClientID, c.UserID, c.RedirectURI, pq.StringArray(c.Scopes), c.CodeChallenge, c.CodeChallengeMethod,
		c.IssuedAt, c.ExpiresAt, nullTime(c.RedeemedAt), c.Nonce, nullTime(c.AuthTime), pq.StringArray(c.AMR))
	return translate(ctx, err, "create authorization code")
}

// UpdateAuthCode implements ports.AuthCodeRepository without a
// transaction: it reads the code with its row version, calls fn, and
// writes the result only over the version read. When another update came
// in between, it reads again and calls fn on that one's result, so of
// concurrent updates each sees the one before, as under a row lock. Two
// round trips.
func (s *Store) UpdateAuthCode(ctx context.Context, hash string, fn func(core.AuthCode) (core.AuthCode, error)) (core.AuthCode, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const what = "update authorization code"
	for {
		var version string
		old, err := scanAuthCode(s.queryRow(ctx,
			`SELECT `+authCodeColumns+`, xmin::text FROM authorization_codes WHERE hash = $1`, hash), &version)
		if err != nil {
			return core.AuthCode{}, translate(ctx, err, what)
		}
		c, err := fn(old)
		if err != nil {
			return old, err
		}
		updated, err := scanAuthCode(s.queryRow(ctx, `UPDATE authorization_codes SET client_id = $3, user_id = $4,
			redirect_uri = $5, scopes = $6, code_challenge = $7, code_challenge_method = $8, issued_at = $9, expires_at = $10,
			redeemed_at = $11, nonce = $12, auth_time = $13, amr = $14
			WHERE hash = $1 AND xmin = $2::xid RETURNING `+authCodeColumns,
			hash, version, c.ClientID, c.UserID, c.RedirectURI, pq.StringArray(c.Scopes), c.CodeChallenge, c.CodeChallengeMethod,
			c.IssuedAt, c.ExpiresAt, nullTime(c.RedeemedAt), c.Nonce, nullTime(c.AuthTime), pq.StringArray(c.AMR)))
		switch {
		case err == nil:
			return updated, nil
		case errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil:
			continue // changed since it was read
		default:
			return old, translate(ctx, err, what)
		}
	}
}
