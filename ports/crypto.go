package ports

import (
	"context"
	"errors"

	"github.com/identityd/identityd/core"
)

// TokenSigner signs and verifies RFC 9068 JWT access tokens.
type TokenSigner interface {
	// Sign returns the compact JWT for t with header typ "at+jwt".
	Sign(ctx context.Context, t core.AccessToken) (string, error)
	// Verify checks the signature, algorithm and typ header and returns
	// the claims; time-based checks are the caller's. A bad token is a
	// core.OAuthError with code invalid_token.
	Verify(ctx context.Context, token string) (core.AccessToken, error)
	// Algorithm is the JWS alg, e.g. "HS256".
	Algorithm() string
	// JWKS is the JSON Web Key Set of public keys ({"keys":[]} for HMAC).
	JWKS() []byte
}

// IDTokenSigner signs OpenID Connect ID tokens with the server's
// asymmetric keys, whose public halves the JWKS publishes.
type IDTokenSigner interface {
	// SignIDToken signs claims, a JSON object, with the active key of alg
	// (one of IDTokenAlgorithms), header {alg, typ: "JWT", kid}.
	SignIDToken(ctx context.Context, alg string, claims []byte) (string, error)
	// VerifyIDToken checks the signature of an ID token this server
	// signed, with the published key its kid names, and returns the
	// payload. Time-based checks are the caller's.
	VerifyIDToken(ctx context.Context, raw string) ([]byte, error)
	// IDTokenAlgorithms lists the algorithms SignIDToken takes.
	IDTokenAlgorithms() []string
}

// PasswordHasher hashes people's passwords (slow, salted).
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Compare returns core.ErrUnauthenticated on a mismatch.
	Compare(hash, password string) error
}

// SecretHasher hashes high-entropy machine secrets (client secrets, refresh
// tokens, codes, reset tokens) with a fast keyed hash.
type SecretHasher interface {
	Hash(secret string) string
	Equal(hash, secret string) bool
	// KeyID names the key of Hash without revealing it: two keys, two
	// ids. Stored next to a hash (core.Client.SecretHashKey), it tells
	// which key made it.
	KeyID() string
	// Previous is the hasher of the key being replaced
	// (JWT_REFRESH_SECRET_PREVIOUS): what it hashed is still found, and
	// nothing new is hashed with it. nil when there is none.
	Previous() SecretHasher
	// Next is the hasher of the key that will replace this one
	// (JWT_REFRESH_SECRET_NEXT): what instances already switched to it
	// hashed is found, and nothing is hashed with it here. nil when
	// there is none.
	Next() SecretHasher
}

// Others returns h's next and previous hashers, those that are set: the
// keys whose hashes are found but never made.
func Others(h SecretHasher) []SecretHasher {
	var out []SecretHasher
	if n := h.Next(); n != nil {
		out = append(out, n)
	}
	if p := h.Previous(); p != nil {
		out = append(out, p)
	}
	return out
}

// FindHashed looks a stored secret up by its hash: under h's key and, when
// find answers core.ErrNotFound, under its next and its previous key.
// Every other answer of find is returned as it is.
func FindHashed[T any](h SecretHasher, secret string, find func(hash string) (T, error)) (T, error) {
	v, err := find(h.Hash(secret))
	for _, o := range Others(h) {
		if !errors.Is(err, core.ErrNotFound) {
			break
		}
		v, err = find(o.Hash(secret))
	}
	return v, err
}

// Random makes identifiers and secrets from a cryptographic source.
type Random interface {
	// NewID returns a unique identifier (a UUID).
	NewID() string
	// NewToken returns a URL-safe secret of at least 256 bits.
	NewToken() string
	// NewTimeID returns a unique identifier that sorts by creation time
	// (a UUIDv7), for rows written in their millions, such as access
	// tokens: consecutive ids land on the same index pages.
	NewTimeID() string
}

// Mailer sends mail to people.
type Mailer interface {
	// SendPasswordReset mails the link to /password-reset/confirm with
	// token, valid for ttlMinutes.
	SendPasswordReset(ctx context.Context, email, token string, ttlMinutes int) error
	// SendEmailVerification mails the link to /verify-email with token,
	// valid for ttlMinutes.
	SendEmailVerification(ctx context.Context, email, token string, ttlMinutes int) error
	// SendNotice mails a security notice (a second factor added or
	// removed, sign-ins failing): a subject and plain text, no link
	// that acts.
	SendNotice(ctx context.Context, email, subject, text string) error
}
