package ports

import (
	"context"
	"time"

	"github.com/identityd/identityd/core"
)

// SigningKeyStore keeps the private keys the server generates for
// asymmetric signing (RS256, ES256, EdDSA), so that every instance sharing
// a store signs with, and publishes, the same keys. Private keys are
// sealed at rest by the implementation.
type SigningKeyStore interface {
	// SigningKeys returns the active keys and the keys retired after
	// since, oldest first.
	SigningKeys(ctx context.Context, since time.Time) ([]core.SigningKey, error)
	// AddSigningKey stores k as the active key of k.Alg unless another
	// active key of that algorithm exists, and reports whether it stored
	// k. Of concurrent callers for one algorithm exactly one wins.
	AddSigningKey(ctx context.Context, k core.SigningKey) (bool, error)
	// RetireSigningKeys retires, at `at`, every active key created at or
	// before createdBefore, and returns how many it retired.
	RetireSigningKeys(ctx context.Context, createdBefore, at time.Time) (int, error)
}

// SecretUseStore records, for each secret an instance signs or hashes with
// (JWT_SECRET, JWT_REFRESH_SECRET), the latest moment an instance said it
// uses it. A secret retired to *_PREVIOUS then verifies only what it could
// have made: nothing dated after its last recorded use (plus the marking
// interval). Secrets are named by their key id, never by their value.
type SecretUseStore interface {
	// MarkSecretUse records that the secret named kid is in use at `at`;
	// the stored time only moves forward.
	MarkSecretUse(ctx context.Context, kid string, at time.Time) error
	// SecretLastUsed returns the latest recorded use of kid, or the zero
	// time when there is none.
	SecretLastUsed(ctx context.Context, kid string) (time.Time, error)
}
