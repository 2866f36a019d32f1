package system

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"

	"github.com/identityd/identityd/ports"
)

// Random draws identifiers and secrets from crypto/rand.
type Random struct{}

var _ ports.Random = Random{}

// NewID implements ports.Random: a version 4 UUID (RFC 9562 §5.4).
func (Random) NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// NewToken implements ports.Random: 256 bits, unpadded base64url.
func (Random) NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
