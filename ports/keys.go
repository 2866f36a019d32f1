package ports

import "context"

// SigningKeyStore keeps the private keys the server generates for
// asymmetric access-token signing (RS256, ES256, EdDSA), so that every
// instance sharing a store signs with, and publishes, the same key.
type SigningKeyStore interface {
	// SigningKey returns the stored private key (PEM) for alg. When none
	// is stored it calls generate and stores the result unless another
	// caller stored a key first, then returns whichever key is stored:
	// every caller, in this process or another on the same store, gets
	// the same key. generate runs outside any lock or transaction and may
	// run in several callers at once; only one result is kept. An error
	// from generate is returned wrapped and nothing is stored.
	SigningKey(ctx context.Context, alg string, generate func() ([]byte, error)) ([]byte, error)
}
