package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

type userRow struct {
	ID           string         `db:"id"`
	Email        string         `db:"email"`
	PasswordHash string         `db:"password_hash"`
	FirstName    string         `db:"first_name"`
	LastName     string         `db:"last_name"`
	Roles        pq.StringArray `db:"roles"`
	Verified     bool           `db:"email_verified"`
	SessionsEnd  sql.NullTime   `db:"sessions_ended_at"`
	FailedLogins int            `db:"failed_logins"`
	LockedUntil  sql.NullTime   `db:"locked_until"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
}

func (r userRow) user() core.User {
	return core.User{
		ID: r.ID, Email: r.Email, PasswordHash: r.PasswordHash, FirstName: r.FirstName, LastName: r.LastName,
		Roles: r.Roles, EmailVerified: r.Verified, SessionsEndedAt: fromNullTime(r.SessionsEnd), FailedLogins: r.FailedLogins, LockedUntil: fromNullTime(r.LockedUntil),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

const userColumns = `id, email, password_hash, first_name, last_name, roles, failed_logins, locked_until, created_at, updated_at, email_verified, sessions_ended_at`

// CreateUser implements ports.UserRepository.
func (s *Store) CreateUser(ctx context.Context, u core.User) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		u.ID, u.Email, u.PasswordHash, u.FirstName, u.LastName, pq.StringArray(u.Roles), u.FailedLogins,
		nullTime(u.LockedUntil), u.CreatedAt, u.UpdatedAt, u.EmailVerified, nullTime(u.SessionsEndedAt))
	return translate(ctx, err, "create user")
}

// GetUser implements ports.UserRepository.
func (s *Store) GetUser(ctx context.Context, id string) (core.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r userRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE id = $1`, id); err != nil {
		return core.User{}, translate(ctx, err, fmt.Sprintf("user %q", id))
	}
	return r.user(), nil
}

// GetUserByEmail implements ports.UserRepository. The lookup goes through
// idx_users_email (lower(email)).
func (s *Store) GetUserByEmail(ctx context.Context, email string) (core.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r userRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, email); err != nil {
		return core.User{}, translate(ctx, err, "user by email")
	}
	return r.user(), nil
}

// UpdateUser implements ports.UserRepository: the row is locked while fn
// runs.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(core.User) (core.User, error)) (core.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := fmt.Sprintf("update user %q", id)
	var out core.User
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		var r userRow
		if err := tx.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id); err != nil {
			return translate(ctx, err, what)
		}
		u, err := fn(r.user())
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &r, `UPDATE users SET email = $2, password_hash = $3, first_name = $4, last_name = $5,
			roles = $6, failed_logins = $7, locked_until = $8, created_at = $9, updated_at = $10, email_verified = $11, sessions_ended_at = $12
			WHERE id = $1 RETURNING `+userColumns,
			id, u.Email, u.PasswordHash, u.FirstName, u.LastName, pq.StringArray(u.Roles), u.FailedLogins,
			nullTime(u.LockedUntil), u.CreatedAt, u.UpdatedAt, u.EmailVerified, nullTime(u.SessionsEndedAt))
		if err != nil {
			return translate(ctx, err, what)
		}
		out = r.user()
		return nil
	})
	if err != nil {
		return core.User{}, err
	}
	return out, nil
}

// DeleteUser implements ports.UserRepository. Refresh tokens, codes and
// reset tokens go in the same statement (ON DELETE CASCADE); access-token
// records stay for the caller to revoke.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var deleted string
	err := s.db.GetContext(ctx, &deleted, `DELETE FROM users WHERE id = $1 RETURNING id`, id)
	return translate(ctx, err, fmt.Sprintf("delete user %q", id))
}
