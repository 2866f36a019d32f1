package hashing

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// MinBcryptCost is the lowest cost the configuration accepts.
const MinBcryptCost = 10

// Bcrypt hashes passwords with bcrypt at a fixed cost.
type Bcrypt struct{ cost int }

var _ ports.PasswordHasher = Bcrypt{}

// NewBcrypt returns a hasher at cost.
func NewBcrypt(cost int) Bcrypt { return Bcrypt{cost: cost} }

// Hash implements ports.PasswordHasher. A password over 72 bytes is an
// error (bcrypt.ErrPasswordTooLong): callers check core.MaxPasswordBytes
// first.
func (b Bcrypt) Hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), b.cost)
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	return string(h), nil
}

// Compare implements ports.PasswordHasher. bcrypt reads no more than the
// first 72 bytes of a password, so a longer one would match the hash of its
// first 72 bytes: "<72 bytes>anything-else" would sign in. A password over
// core.MaxPasswordBytes therefore never matches (core.ErrUnauthenticated);
// no such password can have been set, since Hash refuses it. The comparison
// still runs on the first 72 bytes, so the answer takes the usual time.
func (b Bcrypt) Compare(hash, password string) error {
	tooLong := len(password) > core.MaxPasswordBytes
	if tooLong {
		password = password[:core.MaxPasswordBytes]
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	if tooLong && (err == nil || errors.Is(err, bcrypt.ErrMismatchedHashAndPassword)) {
		return core.ErrUnauthenticated
	}
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return core.ErrUnauthenticated
	}
	if err != nil {
		return fmt.Errorf("bcrypt: %w", err)
	}
	return nil
}
