package hashing

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/identityd/identityd/ports"
)

// AESGCM seals small secrets with AES-256-GCM under a key derived from
// JWT_REFRESH_SECRET, as the PostgreSQL adapter seals generated signing
// keys. A sealed value is an 8-byte identifier of the key, then the GCM
// nonce, ciphertext and tag; the identifier lets a value sealed under the
// previous key (JWT_REFRESH_SECRET_PREVIOUS) still be opened.
type AESGCM struct {
	current sealKey
	// previous is the zero sealKey when there is none.
	previous sealKey
}

type sealKey struct {
	id   []byte
	aead cipher.AEAD
}

var _ ports.Sealer = (*AESGCM)(nil)

// NewAESGCM returns a sealer under key (32 bytes) that also opens what
// previous (32 bytes, or nil) sealed.
func NewAESGCM(key, previous []byte) (*AESGCM, error) {
	cur, err := newSealKey(key)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	s := &AESGCM{current: cur}
	if previous != nil {
		if s.previous, err = newSealKey(previous); err != nil {
			return nil, fmt.Errorf("previous seal key: %w", err)
		}
	}
	return s, nil
}

func newSealKey(key []byte) (sealKey, error) {
	if len(key) != 32 {
		return sealKey{}, fmt.Errorf("want 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealKey{}, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return sealKey{}, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("identityd sealed secret key id v1"))
	return sealKey{id: m.Sum(nil)[:8], aead: aead}, nil
}

// Seal implements ports.Sealer.
func (s *AESGCM) Seal(plaintext, additionalData []byte) ([]byte, error) {
	out := append([]byte(nil), s.current.id...)
	return s.current.aead.Seal(out, nil, plaintext, additionalData), nil
}

// errSealed is every failure to open: the value was altered, moved, or
// sealed under a key this instance does not have.
var errSealed = errors.New("sealed secret: cannot be opened with the configured JWT_REFRESH_SECRET")

// Open implements ports.Sealer.
func (s *AESGCM) Open(sealed, additionalData []byte) ([]byte, error) {
	if len(sealed) < 8 {
		return nil, errSealed
	}
	for _, k := range []sealKey{s.current, s.previous} {
		if k.aead == nil || !bytes.Equal(sealed[:8], k.id) {
			continue
		}
		p, err := k.aead.Open(nil, nil, sealed[8:], additionalData)
		if err != nil {
			return nil, errSealed
		}
		return p, nil
	}
	return nil, errSealed
}
