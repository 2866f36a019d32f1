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

// Hash implements ports.PasswordHasher.
func (b Bcrypt) Hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), b.cost)
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	return string(h), nil
}

// Compare implements ports.PasswordHasher.
func (b Bcrypt) Compare(hash, password string) error {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return core.ErrUnauthenticated
	}
	if err != nil {
		return fmt.Errorf("bcrypt: %w", err)
	}
	return nil
}
