package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

const userColumns = `id, email, password_hash, first_name, last_name, roles, failed_logins, locked_until, created_at, updated_at, email_verified, sessions_ended_at, disabled, last_login_at, not_before`

// userSelect reads userColumns with every timestamp through finiteTime, so
// a value set by hand in SQL ('infinity' in locked_until) is read as the
// farthest time Go holds rather than failing the scan.
var userSelect = `id, email, password_hash, first_name, last_name, roles, failed_logins, ` + finiteTime("locked_until") + `, ` +
	finiteTime("created_at") + `, ` + finiteTime("updated_at") + `, email_verified, ` + finiteTime("sessions_ended_at") +
	`, disabled, ` + finiteTime("last_login_at") + `, ` + finiteTime("not_before")

// scanUser reads userColumns, in that order, and then extra.
func scanUser(row interface{ Scan(...any) error }, extra ...any) (core.User, error) {
	var (
		u                 core.User
		roles             pq.StringArray
		locked, sessEnded sql.NullTime
		lastLogin         sql.NullTime
		notBefore         sql.NullTime
	)
	dest := append([]any{&u.ID, &u.Email, &u.PasswordHash, &u.FirstName, &u.LastName, &roles, &u.FailedLogins, &locked,
		&u.CreatedAt, &u.UpdatedAt, &u.EmailVerified, &sessEnded, &u.Disabled, &lastLogin, &notBefore}, extra...)
	if err := row.Scan(dest...); err != nil {
		return core.User{}, err
	}
	u.Roles, u.LockedUntil, u.SessionsEndedAt = roles, fromNullTime(locked), fromNullTime(sessEnded)
	u.LastLoginAt = fromNullTime(lastLogin)
	u.NotBefore = fromNullTime(notBefore)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}

// CreateUser implements ports.UserRepository.
func (s *Store) CreateUser(ctx context.Context, u core.User) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		u.ID, u.Email, u.PasswordHash, u.FirstName, u.LastName, pq.StringArray(u.Roles), u.FailedLogins,
		nullTime(u.LockedUntil), u.CreatedAt, u.UpdatedAt, u.EmailVerified, nullTime(u.SessionsEndedAt), u.Disabled, nullTime(u.LastLoginAt), nullTime(u.NotBefore))
	return translate(ctx, err, "create user")
}

// GetUser implements ports.UserRepository.
func (s *Store) GetUser(ctx context.Context, id string) (core.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userSelect+` FROM users WHERE id = $1`, id))
	if err != nil {
		return core.User{}, translate(ctx, err, fmt.Sprintf("user %q", id))
	}
	return u, nil
}

// GetUserByEmail implements ports.UserRepository. The lookup goes through
// idx_users_email (lower(email)).
func (s *Store) GetUserByEmail(ctx context.Context, email string) (core.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userSelect+` FROM users WHERE lower(email) = lower($1)`, email))
	return u, translate(ctx, err, "user by email")
}

// UpdateUser implements ports.UserRepository without a transaction: it
// reads the user with its row version (xmin), calls fn, and writes the
// result only over the version read. When another update came in between,
// it reads again and calls fn on that one's result, as under a row lock.
// Two round trips.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(core.User) (core.User, error)) (core.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := func() string { return fmt.Sprintf("update user %q", id) }
	for {
		var version string
		old, err := scanUser(s.queryRow(ctx, `SELECT `+userSelect+`, xmin::text FROM users WHERE id = $1`, id), &version)
		if err != nil {
			return core.User{}, translate(ctx, err, what())
		}
		u, err := fn(old)
		if err != nil {
			return core.User{}, err
		}
		updated, err := scanUser(s.queryRow(ctx, `UPDATE users SET email = $3, password_hash = $4, first_name = $5,
			last_name = $6, roles = $7, failed_logins = $8, locked_until = $9, created_at = $10, updated_at = $11,
			email_verified = $12, sessions_ended_at = $13, disabled = $14, last_login_at = $15, not_before = $16
			WHERE id = $1 AND xmin = $2::xid RETURNING `+userSelect,
			id, version, u.Email, u.PasswordHash, u.FirstName, u.LastName, pq.StringArray(u.Roles), u.FailedLogins,
			nullTime(u.LockedUntil), u.CreatedAt, u.UpdatedAt, u.EmailVerified, nullTime(u.SessionsEndedAt), u.Disabled, nullTime(u.LastLoginAt), nullTime(u.NotBefore)))
		switch {
		case err == nil:
			return updated, nil
		case errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil:
			continue // changed since it was read
		default:
			return core.User{}, translate(ctx, err, what())
		}
	}
}

// DeleteUser implements ports.UserRepository. Refresh tokens, codes and
// reset tokens go in the same statement (ON DELETE CASCADE); access-token
// records stay for the caller to revoke.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var deleted string
	err := s.db.QueryRowContext(ctx, `DELETE FROM users WHERE id = $1 RETURNING id`, id).Scan(&deleted)
	return translate(ctx, err, fmt.Sprintf("delete user %q", id))
}

// userSearchExpr is the text a search matches, the SQL form of
// core.UserSearchText; idx_users_email_name_trgm (pg_trgm) indexes it, so a search
// anywhere in the string reads the index rather than every row.
const userSearchExpr = `(lower(email) || ' ' || lower(first_name) || ' ' || lower(last_name))`

// ListUsers implements ports.UserRepository. The conditions are added only
// when set, so each query the planner sees is one the indexes serve: the
// primary key for the order, idx_users_email_name_trgm for ?q=.
func (s *Store) ListUsers(ctx context.Context, f core.UserFilter, p core.Page) ([]core.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	where, args := []string{"true"}, []any{}
	if p.After != "" {
		args = append(args, p.After)
		where = append(where, "id > $1")
	}
	if f.Query != "" {
		args = append(args, "%"+escapeLike(strings.ToLower(f.Query))+"%")
		where = append(where, userSearchExpr+` LIKE $`+strconv.Itoa(len(args)))
	}
	switch f.Status {
	case core.UserStatusActive:
		where = append(where, "NOT disabled")
	case core.UserStatusDisabled:
		where = append(where, "disabled")
	}
	if f.Role != "" {
		args = append(args, f.Role)
		where = append(where, `$`+strconv.Itoa(len(args))+` = ANY(roles)`)
	}
	args = append(args, pageLimit(p))
	rows, err := s.db.QueryContext(ctx, `SELECT `+userSelect+` FROM users WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, translate(ctx, err, "list users")
	}
	defer rows.Close()
	var out []core.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, translate(ctx, err, "list users")
		}
		out = append(out, u)
	}
	return out, translate(ctx, rows.Err(), "list users")
}

// escapeLike escapes the LIKE wildcards of s, so it matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
