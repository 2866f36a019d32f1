package jwt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Keyring holds every key the server signs or verifies with and picks the
// key of a token by its kid, never by trying keys in turn:
//
//   - access tokens are signed by one key under JWT_SIGNING_ALG: the
//     JWT_SECRET (HS256, with JWT_SECRET_PREVIOUS verifying only), the
//     key of JWT_PRIVATE_KEY_FILE, or the active stored key of that
//     algorithm;
//   - ID tokens are signed by the active stored key of the algorithm asked
//     for (RS256, ES256 or EdDSA);
//   - the JWKS publishes every asymmetric key that is active or may still
//     have signed an unexpired token.
//
// The set of stored keys is replaced as a whole by Set (KeyManager calls it
// after reading the store); readers never block.
type Keyring struct {
	accessAlg string
	hmac      []*HS256 // the current secret first, then the next and the previous one
	// hmacPrevious is the previous secret (JWT_SECRET_PREVIOUS) among
	// hmac, nil when none; previousUntil bounds the iat of what it
	// verifies.
	hmacPrevious  *HS256
	previousUntil func() time.Time
	file          *Asymmetric // the key of JWT_PRIVATE_KEY_FILE, if any
	set           atomic.Pointer[keySet]
	// unknownKid is called when a token names a kid the ring does not
	// hold: another instance may have made a new key. It may refresh the
	// ring (KeyManager throttles it); nil does nothing.
	unknownKid atomic.Pointer[func(context.Context)]
}

type keySet struct {
	access *Asymmetric            // signs access tokens when accessAlg is asymmetric
	active map[string]*Asymmetric // alg -> the stored key that signs ID tokens
	byKid  map[string]*Asymmetric // every published key
	jwks   []byte
}

var (
	_ ports.TokenSigner   = (*Keyring)(nil)
	_ ports.IDTokenSigner = (*Keyring)(nil)
)

// NewHMACKeyring returns the ring of an HS256 server: secret signs and
// verifies access tokens, previous (when not empty) only verifies them,
// whatever their iat. Servers use NewHMACKeyringOf, which bounds the
// previous secret.
func NewHMACKeyring(secret, previous []byte) *Keyring {
	return NewHMACKeyringOf(HMACSecrets{Current: secret, Previous: previous})
}

// HMACSecrets are the HS256 secrets of a server.
type HMACSecrets struct {
	// Current (JWT_SECRET) signs and verifies.
	Current []byte
	// Next (JWT_SECRET_NEXT) is the secret that will replace Current:
	// it verifies what another instance, already switched to it,
	// signed; it never signs here.
	Next []byte
	// Previous (JWT_SECRET_PREVIOUS) is the secret Current replaced. It
	// verifies only what it could have signed: tokens whose iat is at or
	// before PreviousUntil(), the last moment any instance may have
	// signed with it (see SecretWatch). A retired secret that leaks then
	// mints nothing new.
	Previous []byte
	// PreviousUntil is that bound; nil: no bound (tests of the ring only).
	PreviousUntil func() time.Time
}

// NewHMACKeyringOf returns the ring of an HS256 server with secrets s.
func NewHMACKeyringOf(s HMACSecrets) *Keyring {
	cur := NewHS256(s.Current)
	r := &Keyring{accessAlg: "HS256", hmac: []*HS256{cur}, previousUntil: s.PreviousUntil}
	if len(s.Next) > 0 && HMACKeyID(s.Next) != cur.kid {
		r.hmac = append(r.hmac, NewHS256(s.Next))
	}
	if len(s.Previous) > 0 && HMACKeyID(s.Previous) != cur.kid && (len(s.Next) == 0 || HMACKeyID(s.Previous) != HMACKeyID(s.Next)) {
		r.hmacPrevious = NewHS256(s.Previous)
		r.hmac = append(r.hmac, r.hmacPrevious)
	}
	r.Set(nil)
	return r
}

// NewAsymmetricKeyring returns the ring of a server whose access tokens
// are signed under alg (RS256, ES256 or EdDSA): by file when it is not nil,
// else by the active stored key of alg.
func NewAsymmetricKeyring(alg string, file *Asymmetric) (*Keyring, error) {
	if !IsAsymmetric(alg) {
		return nil, fmt.Errorf("%q is not RS256, ES256 or EdDSA", alg)
	}
	if file != nil && file.Algorithm() != alg {
		return nil, fmt.Errorf("the key file is for %s, not %s", file.Algorithm(), alg)
	}
	r := &Keyring{accessAlg: alg, file: file}
	r.Set(nil)
	return r, nil
}

// OnUnknownKid sets the function called when a token names an unknown kid.
func (r *Keyring) OnUnknownKid(f func(context.Context)) { r.unknownKid.Store(&f) }

// Set replaces the stored keys: active holds the signing key of each
// algorithm, published every key to publish (active ones included).
func (r *Keyring) Set(keys []StoredKey) {
	ks := &keySet{active: map[string]*Asymmetric{}, byKid: map[string]*Asymmetric{}}
	var jwks []JWK
	if r.file != nil {
		ks.byKid[r.file.kid] = r.file
		ks.access = r.file
		jwks = append(jwks, r.file.jwk)
	}
	for _, k := range keys {
		if _, dup := ks.byKid[k.Signer.kid]; dup {
			continue
		}
		ks.byKid[k.Signer.kid] = k.Signer
		jwks = append(jwks, k.Signer.jwk)
		if k.Active {
			ks.active[k.Signer.alg] = k.Signer
		}
	}
	if ks.access == nil {
		ks.access = ks.active[r.accessAlg]
	}
	if jwks == nil {
		jwks = []JWK{}
	}
	ks.jwks, _ = json.Marshal(struct { // JWKs of strings always encode
		Keys []JWK `json:"keys"`
	}{jwks})
	r.set.Store(ks)
}

// StoredKey is a parsed stored key and whether it is its algorithm's
// active key.
type StoredKey struct {
	Signer *Asymmetric
	Active bool
}

// Algorithm implements ports.TokenSigner: the access-token alg.
func (r *Keyring) Algorithm() string { return r.accessAlg }

// JWKS implements ports.TokenSigner: the published public keys (RFC 7517
// §5); never an HS256 secret.
func (r *Keyring) JWKS() []byte { return append([]byte(nil), r.set.Load().jwks...) }

// KeyIDs returns the kids of the published keys, for tests and logs.
func (r *Keyring) KeyIDs() []string {
	ks := r.set.Load()
	out := make([]string, 0, len(ks.byKid))
	for kid := range ks.byKid {
		out = append(out, kid)
	}
	return out
}

var errNoKey = errors.New("no signing key is available yet")

// Sign implements ports.TokenSigner.
func (r *Keyring) Sign(ctx context.Context, t core.AccessToken) (string, error) {
	if len(r.hmac) > 0 {
		return r.hmac[0].Sign(ctx, t)
	}
	k := r.set.Load().access
	if k == nil {
		return "", errNoKey
	}
	return k.Sign(ctx, t)
}

// Verify implements ports.TokenSigner: the header's kid names the key, whose
// algorithm must be the access-token alg. A token without kid (signed before
// tokens carried one) is checked with the current signing key only.
func (r *Keyring) Verify(ctx context.Context, raw string) (core.AccessToken, error) {
	first, _, _, err := split(raw)
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	h, err := parseHeader(raw[:first])
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	if len(r.hmac) > 0 {
		for _, k := range r.hmac {
			if k.kid == h.Kid || (h.Kid == "" && k == r.hmac[0]) {
				t, err := k.Verify(ctx, raw)
				if err == nil && k == r.hmacPrevious && r.previousUntil != nil && t.IssuedAt.After(r.previousUntil()) {
					return core.AccessToken{}, errInvalid.Wrap(errors.New("issued under JWT_SECRET_PREVIOUS after it was retired"))
				}
				return t, err
			}
		}
		return core.AccessToken{}, errInvalid.Wrap(fmt.Errorf("unknown kid %q", h.Kid))
	}
	if h.Kid == "" {
		k := r.set.Load().access
		if k == nil {
			return core.AccessToken{}, errInvalid.Wrap(errNoKey)
		}
		return k.Verify(ctx, raw)
	}
	k, ok := r.byKid(ctx, h.Kid)
	if !ok || k.alg != r.accessAlg {
		return core.AccessToken{}, errInvalid.Wrap(fmt.Errorf("unknown kid %q", h.Kid))
	}
	return k.Verify(ctx, raw)
}

// byKid finds a published key, asking for a refresh once when the kid is
// unknown.
func (r *Keyring) byKid(ctx context.Context, kid string) (*Asymmetric, bool) {
	if k, ok := r.set.Load().byKid[kid]; ok {
		return k, true
	}
	if f := r.unknownKid.Load(); f != nil && kid != "" && len(kid) <= 128 {
		(*f)(ctx)
	}
	k, ok := r.set.Load().byKid[kid]
	return k, ok
}

// IDTokenAlgorithms implements ports.IDTokenSigner.
func (r *Keyring) IDTokenAlgorithms() []string { return []string{RS256, ES256, EdDSA} }

// SignIDToken implements ports.IDTokenSigner.
func (r *Keyring) SignIDToken(_ context.Context, alg string, claims []byte) (string, error) {
	k := r.set.Load().active[alg]
	if k == nil {
		return "", fmt.Errorf("no active %s key: %w", alg, errNoKey)
	}
	return k.signJWT(claims)
}

// VerifyIDToken implements ports.IDTokenSigner.
func (r *Keyring) VerifyIDToken(ctx context.Context, raw string) ([]byte, error) {
	first, _, _, err := split(raw)
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(raw[:first])
	if err != nil {
		return nil, err
	}
	k, ok := r.byKid(ctx, h.Kid)
	if !ok {
		return nil, fmt.Errorf("unknown kid %q", h.Kid)
	}
	return k.verifyJWT(raw)
}
