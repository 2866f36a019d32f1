package ports

import (
	"context"

	"github.com/identityd/identityd/core"
)

// ConsentRepository remembers people's consent per client (core.Consent).
// Deleting the person or the client deletes their consents.
type ConsentRepository interface {
	// GetConsent returns the consent of userID for clientID, or
	// core.ErrNotFound.
	GetConsent(ctx context.Context, userID, clientID string) (core.Consent, error)
	// UpdateConsent applies fn atomically to the consent of userID for
	// clientID (the zero Consent with those ids when there is none) and
	// stores the result; concurrent updates each see the one before. An
	// error from fn is returned unchanged and nothing is written.
	// core.ErrNotFound when the person or the client does not exist.
	UpdateConsent(ctx context.Context, userID, clientID string, fn func(core.Consent) (core.Consent, error)) (core.Consent, error)
	// ListConsents returns the consents of userID ordered by client id.
	ListConsents(ctx context.Context, userID string) ([]core.Consent, error)
	// DeleteConsent forgets the consent of userID for clientID, or
	// returns core.ErrNotFound.
	DeleteConsent(ctx context.Context, userID, clientID string) error
}
