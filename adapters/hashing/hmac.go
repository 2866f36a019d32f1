package hashing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"sync"

	"github.com/identityd/identityd/ports"
)

// HMAC hashes machine secrets with HMAC-SHA-256 under a server key. The
// secrets it hashes carry 256 bits of randomness, so a slow password hash
// would add cost and no safety; the key keeps a leaked table useless.
type HMAC struct {
	pool  sync.Pool
	keyID string
	prev  *HMAC
	next  *HMAC
}

var _ ports.SecretHasher = (*HMAC)(nil)

// NewHMAC returns a hasher keyed with key, which must be secret.
func NewHMAC(key []byte) *HMAC {
	k := append([]byte(nil), key...)
	h := &HMAC{}
	h.pool.New = func() any { return hmac.New(sha256.New, k) }
	id := hmac.New(sha256.New, k)
	id.Write([]byte("identityd secret hash key id v1"))
	h.keyID = base64.RawURLEncoding.EncodeToString(id.Sum(nil)[:12])
	return h
}

// NewRotatingHMAC returns a hasher keyed with key that still finds what
// previous hashed (Previous); previous may be nil.
func NewRotatingHMAC(key, previous []byte) *HMAC {
	h := NewHMAC(key)
	if previous != nil {
		h.prev = NewHMAC(previous)
	}
	return h
}

// WithNext makes h also find what next hashed (Next): the key of
// JWT_REFRESH_SECRET_NEXT; next may be nil.
func (h *HMAC) WithNext(next []byte) *HMAC {
	if next != nil {
		h.next = NewHMAC(next)
	}
	return h
}

// Next implements ports.SecretHasher.
func (h *HMAC) Next() ports.SecretHasher {
	if h.next == nil {
		return nil
	}
	return h.next
}

// KeyID implements ports.SecretHasher: 16 characters of a keyed digest.
func (h *HMAC) KeyID() string { return h.keyID }

// Previous implements ports.SecretHasher.
func (h *HMAC) Previous() ports.SecretHasher {
	if h.prev == nil {
		return nil
	}
	return h.prev
}

// Hash implements ports.SecretHasher: hex of HMAC-SHA-256(key, secret).
func (h *HMAC) Hash(secret string) string {
	var sum [sha256.Size]byte
	h.sum(secret, sum[:0])
	return hex.EncodeToString(sum[:])
}

// Equal implements ports.SecretHasher in constant time.
func (h *HMAC) Equal(stored, secret string) bool {
	var sum [sha256.Size]byte
	h.sum(secret, sum[:0])
	var want [sha256.Size]byte
	if len(stored) != 2*sha256.Size {
		return false
	}
	if _, err := hex.Decode(want[:], []byte(stored)); err != nil {
		return false
	}
	return hmac.Equal(sum[:], want[:])
}

func (h *HMAC) sum(secret string, dst []byte) {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(secret))
	m.Sum(dst)
	h.pool.Put(m)
}
