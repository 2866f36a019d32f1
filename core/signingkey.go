package core

import "time"

// SigningKey is a private key the server generated for asymmetric JWS
// signing (RS256, ES256 or EdDSA) and keeps in its store. At most one key
// per algorithm is active (RetiredAt zero); a retired key signs nothing new
// but stays published until every token it signed has expired.
type SigningKey struct {
	// ID names the stored row; the JWS kid is derived from the public key.
	ID        string
	Alg       string
	PEM       []byte
	CreatedAt time.Time
	RetiredAt time.Time
}

// Active reports whether the key is the signing key of its algorithm.
func (k SigningKey) Active() bool { return k.RetiredAt.IsZero() }
