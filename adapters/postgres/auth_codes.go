package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

type authCodeRow struct {
	Hash                string         `db:"hash"`
	ClientID            string         `db:"client_id"`
	UserID              string         `db:"user_id"`
	RedirectURI         string         `db:"redirect_uri"`
	Scopes              pq.StringArray `db:"scopes"`
	CodeChallenge       string         `db:"code_challenge"`
	CodeChallengeMethod string         `db:"code_challenge_method"`
	Nonce               string         `db:"nonce"`
	AuthTime            sql.NullTime   `db:"auth_time"`
	IssuedAt            time.Time      `db:"issued_at"`
	ExpiresAt           time.Time      `db:"expires_at"`
	RedeemedAt          sql.NullTime   `db:"redeemed_at"`
}

func (r authCodeRow) code() core.AuthCode {
	return core.AuthCode{
		Hash: r.Hash, ClientID: r.ClientID, UserID: r.UserID, RedirectURI: r.RedirectURI, Scopes: r.Scopes,
		CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod, Nonce: r.Nonce, AuthTime: fromNullTime(r.AuthTime),
		IssuedAt: r.IssuedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), RedeemedAt: fromNullTime(r.RedeemedAt),
	}
}

const authCodeColumns = `hash, client_id, user_id, redirect_uri, scopes, code_challenge, code_challenge_method, issued_at, expires_at, redeemed_at, nonce, auth_time`

// CreateAuthCode implements ports.AuthCodeRepository. Its client and user
// must exist (core.ErrConflict otherwise).
func (s *Store) CreateAuthCode(ctx context.Context, c core.AuthCode) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO authorization_codes (`+authCodeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.Hash, c.ClientID, c.UserID, c.RedirectURI, pq.StringArray(c.Scopes), c.CodeChallenge, c.CodeChallengeMethod,
		c.IssuedAt, c.ExpiresAt, nullTime(c.RedeemedAt), c.Nonce, nullTime(c.AuthTime))
	return translate(ctx, err, "create authorization code")
}

// UpdateAuthCode implements ports.AuthCodeRepository: the row is locked
// while fn runs, so of concurrent redemptions each sees the one before.
func (s *Store) UpdateAuthCode(ctx context.Context, hash string, fn func(core.AuthCode) (core.AuthCode, error)) (core.AuthCode, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const what = "update authorization code"
	var out core.AuthCode
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		var r authCodeRow
		if err := tx.GetContext(ctx, &r, `SELECT `+authCodeColumns+` FROM authorization_codes WHERE hash = $1 FOR UPDATE`, hash); err != nil {
			return translate(ctx, err, what)
		}
		out = r.code()
		c, err := fn(r.code())
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &r, `UPDATE authorization_codes SET client_id = $2, user_id = $3, redirect_uri = $4,
			scopes = $5, code_challenge = $6, code_challenge_method = $7, issued_at = $8, expires_at = $9, redeemed_at = $10,
			nonce = $11, auth_time = $12
			WHERE hash = $1 RETURNING `+authCodeColumns,
			hash, c.ClientID, c.UserID, c.RedirectURI, pq.StringArray(c.Scopes), c.CodeChallenge, c.CodeChallengeMethod,
			c.IssuedAt, c.ExpiresAt, nullTime(c.RedeemedAt), c.Nonce, nullTime(c.AuthTime))
		if err != nil {
			return translate(ctx, err, what)
		}
		out = r.code()
		return nil
	})
	return out, err
}
