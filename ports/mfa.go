package ports

import (
	"context"

	"github.com/identityd/identityd/core"
)

// FactorRepository keeps each person's second factors (core.Factors): one
// record per account, deleted with it.
type FactorRepository interface {
	// GetFactors returns the factors of userID, or core.ErrNotFound when
	// the person has none.
	GetFactors(ctx context.Context, userID string) (core.Factors, error)
	// UpdateFactors applies fn atomically to the factors of userID (a
	// zero core.Factors with UserID set when there are none): of
	// concurrent updates, on any instance, each sees the result of the
	// one before, so a TOTP step or a recovery code is consumed once. An
	// error from fn is returned unchanged and nothing is written; a result
	// that is Empty deletes the record. core.ErrNotFound when the account
	// does not exist.
	UpdateFactors(ctx context.Context, userID string, fn func(core.Factors) (core.Factors, error)) (core.Factors, error)
}
