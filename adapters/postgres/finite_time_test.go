package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/core"
)

// Operators edit rows by hand (UPDATE users SET locked_until='infinity'):
// every timestamp the store reads must survive values Go's time cannot
// hold, instead of failing the scan (and so the sign-in) with a 500.
func TestTimestampsSetByHandInSQLAreRead(t *testing.T) {
	t.Parallel()
	s, db := newStore(t, postgres.StoreOptions{})
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	u := core.User{ID: "inf-user", Email: "inf@example.com", PasswordHash: "x", FirstName: "A", LastName: "L", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, s.CreateUser(ctx, u))
	require.NoError(t, s.CreateClient(ctx, core.Client{ID: "inf-client", Name: "c", SecretHash: "h", CreatedAt: now, UpdatedAt: now}))
	require.NoError(t, s.CreateRefreshToken(ctx, core.RefreshToken{Hash: "inf-hash", FamilyID: "f", ClientID: "inf-client", UserID: u.ID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))
	require.NoError(t, s.SaveAccessToken(ctx, core.AccessToken{JTI: "inf-jti", Issuer: "i", Subject: u.ID, ClientID: "inf-client", UserID: u.ID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))
	require.NoError(t, s.RememberLoginDevices(ctx, u.ID, []string{"addr:192.0.2.1"}, now, 5))

	for _, stmt := range []string{
		`UPDATE users SET locked_until = 'infinity', sessions_ended_at = '-infinity', last_login_at = 'infinity'`,
		`UPDATE login_devices SET locked_until = 'infinity'`,
		`UPDATE refresh_tokens SET expires_at = 'infinity'`,
		`UPDATE access_tokens SET expires_at = 'infinity'`,
	} {
		_, err := db.SQL().ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}

	got, err := s.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, 9999, got.LockedUntil.Year(), "infinity is read as the far future: locked")
	assert.True(t, got.SessionsEndedAt.IsZero(), "-infinity is read as the distant past")
	_, err = s.GetUserByEmail(ctx, u.Email)
	require.NoError(t, err)
	updated, err := s.UpdateUser(ctx, u.ID, func(u core.User) (core.User, error) {
		u.LockedUntil = time.Time{}
		return u, nil
	})
	require.NoError(t, err)
	assert.True(t, updated.LockedUntil.IsZero())

	d, err := s.UpdateLoginDevice(ctx, u.ID, "addr:192.0.2.1", func(d core.LoginDevice) (core.LoginDevice, error) { return d, nil })
	require.NoError(t, err)
	assert.Equal(t, 9999, d.LockedUntil.Year())

	rt, err := s.GetRefreshToken(ctx, "inf-hash")
	require.NoError(t, err)
	assert.Equal(t, 9999, rt.ExpiresAt.Year())
	at, err := s.GetAccessToken(ctx, "inf-jti")
	require.NoError(t, err)
	assert.Equal(t, 9999, at.ExpiresAt.Year())
}

// GET /api/users?q= is served by the trigram index, not a scan of users.
func TestUserSearchUsesTheTrigramIndex(t *testing.T) {
	t.Parallel()
	_, db := newStore(t, postgres.StoreOptions{})
	ctx := context.Background()
	conn, err := db.SQL().Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `SET enable_seqscan = off`)
	require.NoError(t, err)
	var plan string
	rows, err := conn.QueryContext(ctx, `EXPLAIN SELECT id FROM users WHERE
		(lower(email) || ' ' || lower(first_name) || ' ' || lower(last_name)) LIKE '%lovel%' ORDER BY id LIMIT 51`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan += line + "\n"
	}
	assert.Contains(t, plan, "idx_users_email_name_trgm", plan)
}
