package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
)

func randomKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// deriveKey makes a purpose-bound key from a configured secret.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
