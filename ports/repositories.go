package ports

import (
	"context"
	"time"

	"github.com/identityd/identityd/core"
)

// ClientRepository stores OAuth clients.
type ClientRepository interface {
	// CreateClient stores a new client; core.ErrAlreadyExists if the id is taken.
	CreateClient(ctx context.Context, c core.Client) error
	// GetClient returns the client or core.ErrNotFound.
	GetClient(ctx context.Context, id string) (core.Client, error)
	// ListClients returns clients ordered by id.
	ListClients(ctx context.Context, p core.Page) ([]core.Client, error)
	// UpdateClient applies fn to the stored client atomically. An error
	// from fn is returned unchanged and nothing is written. The id cannot
	// change.
	UpdateClient(ctx context.Context, id string, fn func(core.Client) (core.Client, error)) (core.Client, error)
	// DeleteClient removes the client and its refresh tokens and codes;
	// its access-token records stay, revoked, until they expire.
	DeleteClient(ctx context.Context, id string) error
}

// ClientSecretKeys tells under which key client secrets are hashed
// (core.Client.SecretHashKey), so an operator knows when no client needs a
// previous JWT_REFRESH_SECRET any more.
type ClientSecretKeys interface {
	// CountClientSecretsNotUnder returns how many clients have a secret
	// whose hash is not recorded as made under keyID: made under another
	// key, or before keys were recorded; a previous secret kept by
	// regenerate-secret (keep_previous_for) and not yet expired counts
	// too.
	CountClientSecretsNotUnder(ctx context.Context, keyID string) (int, error)
}

// ScopeRepository stores scopes. Clients refer to scopes by name, so a scope
// that a client holds cannot be deleted or renamed (core.ErrConflict).
type ScopeRepository interface {
	// CreateScope stores a new scope; core.ErrAlreadyExists if the name is taken.
	CreateScope(ctx context.Context, s core.Scope) error
	GetScope(ctx context.Context, id string) (core.Scope, error)
	// FindScopes returns the scopes among names that exist.
	FindScopes(ctx context.Context, names []string) ([]core.Scope, error)
	// ListScopes returns scopes ordered by id.
	ListScopes(ctx context.Context, p core.Page) ([]core.Scope, error)
	UpdateScope(ctx context.Context, id string, fn func(core.Scope) (core.Scope, error)) (core.Scope, error)
	DeleteScope(ctx context.Context, id string) error
}

// UserRepository stores people's accounts. Emails are stored normalised and
// are unique.
type UserRepository interface {
	CreateUser(ctx context.Context, u core.User) error
	GetUser(ctx context.Context, id string) (core.User, error)
	GetUserByEmail(ctx context.Context, email string) (core.User, error)
	UpdateUser(ctx context.Context, id string, fn func(core.User) (core.User, error)) (core.User, error)
	// ListUsers returns the people that f selects (core.UserFilter.Match)
	// with an id above p.After, ordered by id, at most p.Limit of them.
	ListUsers(ctx context.Context, f core.UserFilter, p core.Page) ([]core.User, error)
	// DeleteUser removes the user with its refresh tokens, codes and
	// reset tokens.
	DeleteUser(ctx context.Context, id string) error
}

// LoginDeviceRepository keeps, per account, the devices (browsers and
// addresses) that signed in successfully, each with its own login back-off
// (core.LoginDevice). Deleting an account deletes its devices.
type LoginDeviceRepository interface {
	// UpdateLoginDevice applies fn to the device key of the account userID
	// atomically (concurrent updates each see the one before) and returns
	// the result; core.ErrNotFound when the account has no such device. An
	// error from fn is returned unchanged and nothing is written.
	UpdateLoginDevice(ctx context.Context, userID, key string, fn func(core.LoginDevice) (core.LoginDevice, error)) (core.LoginDevice, error)
	// RememberLoginDevices records that the devices keys signed in to the
	// account userID at `at`: new ones start without failures, known ones
	// keep their back-off. Then, of each kind of device (the part of the
	// key before its first ':', e.g. "cookie" or "addr"), only the `keep`
	// that signed in to the account most recently are kept, so devices of
	// one kind never push out those of another. core.ErrNotFound when
	// there is no such account.
	RememberLoginDevices(ctx context.Context, userID string, keys []string, at time.Time, keep int) error
}

// AccessTokenRepository keeps a record of every issued access token, so
// tokens can be revoked by owner and revocations survive a cache flush.
type AccessTokenRepository interface {
	SaveAccessToken(ctx context.Context, t core.AccessToken) error
	GetAccessToken(ctx context.Context, jti string) (core.AccessToken, error)
	// RevokeAccessToken marks one token revoked at `at` and returns it.
	RevokeAccessToken(ctx context.Context, jti string, at time.Time) (core.AccessToken, error)
	// RevokeAccessTokens marks every unexpired, unrevoked token matching f
	// revoked at `at` and returns them.
	RevokeAccessTokens(ctx context.Context, f core.TokenFilter, at time.Time) ([]core.AccessToken, error)
	// ListRevokedAccessTokens returns revoked tokens that expire after now,
	// to refill a revocation cache.
	ListRevokedAccessTokens(ctx context.Context, now time.Time) ([]core.AccessToken, error)
}

// RefreshTokenRepository stores refresh tokens by their keyed hash.
// GetRefreshToken and RotateRefreshToken return the token with Holder set
// to its person's standing now, read in the same round trip (a join), so
// a refresh applies core.CredentialAlive without another read; Holder is
// never stored.
type RefreshTokenRepository interface {
	CreateRefreshToken(ctx context.Context, t core.RefreshToken) error
	GetRefreshToken(ctx context.Context, hash string) (core.RefreshToken, error)
	// RotateRefreshToken atomically loads the token with hash, calls fn
	// with it and, when fn succeeds, marks it rotated at next.IssuedAt
	// (keeping an earlier rotation time: a token rotated again within the
	// reuse interval keeps its first) and stores next. It returns the old token in every case where it exists,
	// so a caller can act on reuse. Of concurrent rotations of one token
	// exactly one succeeds.
	RotateRefreshToken(ctx context.Context, hash string, fn func(old core.RefreshToken) (next core.RefreshToken, err error)) (core.RefreshToken, error)
	// RevokeRefreshTokens marks every unrevoked token matching f revoked
	// and returns how many.
	RevokeRefreshTokens(ctx context.Context, f core.TokenFilter, at time.Time) (int, error)
}

// UserTokenLister lists a person's tokens, for the sessions and tokens
// they and their administrators see. Never a token's value: refresh tokens
// come as stored (their keyed hash only).
type UserTokenLister interface {
	// ListUserRefreshTokens returns the refresh tokens of userID that
	// expire after now, at most core.MaxListedTokens of them.
	ListUserRefreshTokens(ctx context.Context, userID string, now time.Time) ([]core.RefreshToken, error)
	// ListUserAccessTokens returns the unrevoked access tokens of userID
	// that expire after now, newest first, at most core.MaxListedTokens.
	ListUserAccessTokens(ctx context.Context, userID string, now time.Time) ([]core.AccessToken, error)
}

// AuthCodeRepository stores authorization codes by their hash.
type AuthCodeRepository interface {
	CreateAuthCode(ctx context.Context, c core.AuthCode) error
	// UpdateAuthCode applies fn atomically; of concurrent updates each sees
	// the result of the one before. An error from fn is returned unchanged
	// together with the stored code.
	UpdateAuthCode(ctx context.Context, hash string, fn func(core.AuthCode) (core.AuthCode, error)) (core.AuthCode, error)
}

// PasswordResetRepository stores password-reset tokens by their hash.
type PasswordResetRepository interface {
	// CreatePasswordReset stores r and ends, at r.CreatedAt, every earlier
	// unused reset of the same person: a newer link ends every earlier one.
	CreatePasswordReset(ctx context.Context, r core.PasswordReset) error
	// ConsumePasswordReset atomically marks the reset used at now and
	// returns it; core.ErrNotFound if it is unknown, used or expired.
	ConsumePasswordReset(ctx context.Context, hash string, now time.Time) (core.PasswordReset, error)
}

// AuditLog records security events.
type AuditLog interface {
	RecordAudit(ctx context.Context, e core.AuditEvent) error
}

// Purger deletes rows that expired before now, in batches of batchSize.
type Purger interface {
	PurgeExpired(ctx context.Context, now time.Time, batchSize int) (core.PurgeStats, error)
}

// Pinger answers whether a backing service is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// AuditBatchLog is an AuditLog that also stores several events in one
// round trip. Storing an event whose id is already stored does nothing,
// so a batch may be sent again after a failure that hid its commit.
type AuditBatchLog interface {
	AuditLog
	RecordAudits(ctx context.Context, events []core.AuditEvent) error
}
