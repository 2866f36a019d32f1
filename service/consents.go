package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// ConsentPrompt decides what the consent page of req must ask user
// (contract "A person's own account"; OpenID Connect Core §3.1.2.4): with
// prompt=consent every scope of the request, always; for a first-party
// client nothing; otherwise the scopes the person has not yet approved for
// the client, and nothing when they approved all of them before. ask is
// false when no page is needed.
func (s *Authorizations) ConsentPrompt(ctx context.Context, req AuthorizeRequest, user core.User) (ask bool, scopes []string, err error) {
	granted := core.GrantableScopes(user, req.Scopes)
	switch {
	case req.HasPrompt("consent"):
		return true, granted, nil
	case req.Client.FirstParty:
		return false, nil, nil
	case s.consents == nil:
		return true, granted, nil
	}
	c, err := s.consents.GetConsent(ctx, user.ID, req.Client.ID)
	if errors.Is(err, core.ErrNotFound) {
		return true, granted, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("read consent: %w", err)
	}
	missing := c.MissingScopes(granted)
	return len(missing) > 0, missing, nil
}

// rememberConsent records that user approved every scope of req for its
// client, and audits it as consent.granted. First-party clients need no
// consent and are not remembered.
func (s *Authorizations) rememberConsent(ctx context.Context, req AuthorizeRequest, user core.User) error {
	if s.consents == nil || req.Client.FirstParty {
		return nil
	}
	granted := core.GrantableScopes(user, req.Scopes)
	var added []string
	c, err := s.consents.UpdateConsent(ctx, user.ID, req.Client.ID, func(c core.Consent) (core.Consent, error) {
		added = c.MissingScopes(granted)
		return c.WithScopes(granted, s.clock.Now()), nil
	})
	if err != nil {
		return fmt.Errorf("remember consent: %w", err)
	}
	if added == nil {
		added = []string{}
	}
	s.audit.Record(ctx, core.AuditEvent{Type: core.AuditConsentGranted, ActorType: core.AuditActorUser, ActorID: user.ID,
		SubjectID: req.Client.ID, UserID: user.ID, ClientID: req.Client.ID, Success: true,
		Details: map[string]any{"scopes": granted, "added_scopes": added, "consented_scopes": c.Scopes}})
	return nil
}

// Consents are a person's remembered consents: listed and revoked by the
// person (GET, DELETE /api/auth/me/consents).
type Consents struct {
	repo    ports.ConsentRepository
	clients ports.ClientRepository
	tokens  *Tokens
	audit   *Audit
}

// NewConsents returns the consent service.
func NewConsents(repo ports.ConsentRepository, clients ports.ClientRepository, tokens *Tokens, audit *Audit) *Consents {
	return &Consents{repo: repo, clients: clients, tokens: tokens, audit: audit}
}

// AuthorizedApp is a remembered consent with the client's name.
type AuthorizedApp struct {
	core.Consent
	ClientName string
}

// List returns the applications userID has authorised, ordered by client
// id.
func (s *Consents) List(ctx context.Context, userID string) ([]AuthorizedApp, error) {
	consents, err := s.repo.ListConsents(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]AuthorizedApp, 0, len(consents))
	for _, c := range consents {
		cl, err := s.clients.GetClient(ctx, c.ClientID)
		if errors.Is(err, core.ErrNotFound) {
			continue // deleted meanwhile, and its consents with it
		}
		if err != nil {
			return nil, err
		}
		out = append(out, AuthorizedApp{Consent: c, ClientName: cl.Name})
	}
	return out, nil
}

// Revoke forgets userID's consent for clientID and revokes every token of
// that client for that person, so the application must ask again. It is
// core.ErrNotFound when there is no such consent (a malformed client id
// is a *core.ValidationError), and records consent.revoked.
func (s *Consents) Revoke(ctx context.Context, userID, clientID string) error {
	if !core.ValidClientID(clientID) {
		return &core.ValidationError{Fields: map[string]string{"client_id": "is not a client id"}}
	}
	if _, err := s.repo.GetConsent(ctx, userID, clientID); err != nil {
		return err
	}
	// Tokens first: a failure leaves the consent to revoke again.
	if err := s.tokens.RevokeAll(ctx, core.TokenFilter{UserID: userID, ClientID: clientID}); err != nil {
		return err
	}
	if err := s.repo.DeleteConsent(ctx, userID, clientID); err != nil {
		return err
	}
	s.audit.Record(ctx, core.AuditEvent{Type: core.AuditConsentRevoked, ActorType: core.AuditActorUser, ActorID: userID,
		SubjectID: clientID, UserID: userID, ClientID: clientID, Success: true, Detail: "consent revoked: the application's tokens for the person revoked"})
	return nil
}
