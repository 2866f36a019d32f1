package system

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/google/uuid"

	"github.com/identityd/identityd/ports"
)

// Random draws identifiers and secrets from crypto/rand.
type Random struct{}

var _ ports.Random = Random{}

// NewID implements ports.Random: a version 4 UUID (RFC 9562 §5.4).
func (Random) NewID() string { return uuid.NewString() }

// NewTimeID implements ports.Random: a version 7 UUID (RFC 9562 §5.7),
// 48 bits of Unix milliseconds then 74 random bits.
func (Random) NewTimeID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// Only a failing random source; NewString panics on it too.
		panic(err)
	}
	return id.String()
}

// NewToken implements ports.Random: 256 bits, unpadded base64url.
func (Random) NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
