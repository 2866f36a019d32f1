package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// IdentityProviders manages the upstream OpenID Providers people may sign
// in with (contract "Upstream sign-in"). Client secrets are sealed before
// they are stored and never leave the service except to the provider's
// token endpoint.
type IdentityProviders struct {
	repo   ports.IdentityProviderRepository
	sealer ports.Sealer
	oidc   ports.UpstreamOIDC
	clock  ports.Clock
	audit  *Audit
}

// IdentityProviderDeps are the ports IdentityProviders uses.
type IdentityProviderDeps struct {
	Repo   ports.IdentityProviderRepository
	Sealer ports.Sealer
	OIDC   ports.UpstreamOIDC
	Clock  ports.Clock
	Audit  *Audit
}

// NewIdentityProviders returns the service.
func NewIdentityProviders(d IdentityProviderDeps) *IdentityProviders {
	return &IdentityProviders{repo: d.Repo, sealer: d.Sealer, oidc: d.OIDC, clock: d.Clock, audit: d.Audit}
}

// IdentityProviderInput is a provider as the API gives it. ClientSecret
// nil keeps the stored secret (PUT).
type IdentityProviderInput struct {
	ID           string
	Name         string
	Issuer       string
	ClientID     string
	ClientSecret *string
	Scopes       []string
	LinkByEmail  bool
}

// secretAD binds a sealed client secret to its provider, so a sealed
// value copied to another row does not open.
func secretAD(id string) []byte { return []byte("identityd idp client_secret\x00" + id) }

// secretOrEmpty is the secret given at creation, where none is "".
func secretOrEmpty(s *string) *string {
	if s == nil {
		empty := ""
		return &empty
	}
	return s
}

// Create checks the provider, reads its discovery document (OpenID Connect
// Discovery 1.0 §4: its issuer must be the one given), seals the secret
// and stores it. A *core.ValidationError names each bad field (the issuer
// when discovery fails), core.ErrAlreadyExists a taken id,
// core.ErrUnavailable a provider that cannot be reached.
func (s *IdentityProviders) Create(ctx context.Context, in IdentityProviderInput) (core.IdentityProvider, error) {
	now := s.clock.Now()
	p := core.IdentityProvider{
		ID: in.ID, Name: strings.TrimSpace(in.Name), Issuer: in.Issuer, ClientID: in.ClientID,
		Scopes: dedupe(in.Scopes), LinkByEmail: in.LinkByEmail, CreatedAt: now, UpdatedAt: now,
	}
	if err := core.ValidateIdentityProvider(p, secretOrEmpty(in.ClientSecret)); err != nil {
		return core.IdentityProvider{}, err
	}
	if _, err := s.repo.GetIdentityProvider(ctx, p.ID); err == nil {
		return core.IdentityProvider{}, &core.ConflictError{Fields: map[string]string{"id": "is taken by another identity provider"}}
	} else if !errors.Is(err, core.ErrNotFound) {
		return core.IdentityProvider{}, err
	}
	if err := s.discover(ctx, p.Issuer); err != nil {
		return core.IdentityProvider{}, err
	}
	sealed, err := s.sealer.Seal([]byte(*in.ClientSecret), secretAD(p.ID))
	if err != nil {
		return core.IdentityProvider{}, fmt.Errorf("seal client secret: %w", err)
	}
	p.ClientSecretSealed = sealed
	if err := s.repo.CreateIdentityProvider(ctx, p); err != nil {
		if errors.Is(err, core.ErrAlreadyExists) {
			return core.IdentityProvider{}, &core.ConflictError{Fields: map[string]string{"id": "is taken by another identity provider"}}
		}
		return core.IdentityProvider{}, err
	}
	s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditIdPCreated, SubjectID: p.ID, Detail: providerDetail(p)})
	return p, nil
}

// discover reads issuer's discovery document. The issuer is the caller's
// input, so a provider that does not answer is a problem with the input
// (a *core.ValidationError on issuer), like a wrong document.
func (s *IdentityProviders) discover(ctx context.Context, issuer string) error {
	err := s.oidc.Discover(ctx, issuer)
	if errors.Is(err, core.ErrUnavailable) {
		return &core.ValidationError{Fields: map[string]string{"issuer": "the discovery document cannot be read: the issuer does not answer"}}
	}
	return err
}

// providerDetail summarises a provider for the audit log; it has no
// secret.
func providerDetail(p core.IdentityProvider) string {
	return "issuer=" + p.Issuer + " client_id=" + p.ClientID + " scopes=" + strings.Join(p.Scopes, ",") + " link_by_email=" + strconv.FormatBool(p.LinkByEmail)
}

// Get returns a provider.
func (s *IdentityProviders) Get(ctx context.Context, id string) (core.IdentityProvider, error) {
	if !core.ValidIdentityProviderID(id) {
		return core.IdentityProvider{}, fmt.Errorf("identity provider: %w", core.ErrNotFound)
	}
	return s.repo.GetIdentityProvider(ctx, id)
}

// List returns every provider, ordered by id.
func (s *IdentityProviders) List(ctx context.Context) ([]core.IdentityProvider, error) {
	return s.repo.ListIdentityProviders(ctx)
}

// Update replaces a provider's fields (PUT): the id stays; a nil
// ClientSecret keeps the stored one; a changed issuer is discovered again.
// Errors as Create's, and core.ErrNotFound.
func (s *IdentityProviders) Update(ctx context.Context, id string, in IdentityProviderInput) (core.IdentityProvider, error) {
	current, err := s.Get(ctx, id)
	if err != nil {
		return core.IdentityProvider{}, err
	}
	if in.ID != "" && in.ID != id {
		return core.IdentityProvider{}, &core.ValidationError{Fields: map[string]string{"id": "cannot change; create a new identity provider"}}
	}
	apply := func(p core.IdentityProvider) core.IdentityProvider {
		p.Name, p.Issuer, p.ClientID, p.Scopes, p.LinkByEmail = strings.TrimSpace(in.Name), in.Issuer, in.ClientID, dedupe(in.Scopes), in.LinkByEmail
		p.UpdatedAt = s.clock.Now()
		return p
	}
	if err := core.ValidateIdentityProvider(apply(current), in.ClientSecret); err != nil {
		return core.IdentityProvider{}, err
	}
	if in.Issuer != current.Issuer {
		if err := s.discover(ctx, in.Issuer); err != nil {
			return core.IdentityProvider{}, err
		}
	}
	var sealed []byte
	if in.ClientSecret != nil {
		if sealed, err = s.sealer.Seal([]byte(*in.ClientSecret), secretAD(id)); err != nil {
			return core.IdentityProvider{}, fmt.Errorf("seal client secret: %w", err)
		}
	}
	var changed []string
	p, err := s.repo.UpdateIdentityProvider(ctx, id, func(old core.IdentityProvider) (core.IdentityProvider, error) {
		next := apply(old)
		if sealed != nil {
			next.ClientSecretSealed = sealed
		}
		changed = providerChanges(old, next, sealed != nil)
		return next, nil
	})
	if err != nil {
		return core.IdentityProvider{}, err
	}
	s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditIdPUpdated, SubjectID: p.ID, Detail: providerDetail(p), Details: map[string]any{"changed": changed}})
	return p, nil
}

// providerChanges names the fields that differ between old and next.
func providerChanges(old, next core.IdentityProvider, secret bool) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("name", old.Name != next.Name)
	add("issuer", old.Issuer != next.Issuer)
	add("client_id", old.ClientID != next.ClientID)
	add("client_secret", secret)
	add("scopes", !slices.Equal(old.Scopes, next.Scopes))
	add("link_by_email", old.LinkByEmail != next.LinkByEmail)
	return out
}

// Delete removes a provider and every link to it: people who signed in
// only through it sign in with a password again (reset by mail).
func (s *IdentityProviders) Delete(ctx context.Context, id string) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	if err := s.repo.DeleteIdentityProvider(ctx, id); err != nil {
		return err
	}
	s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditIdPDeleted, SubjectID: id})
	return nil
}

// clientSecret opens a provider's client secret, for its token endpoint.
func (s *IdentityProviders) clientSecret(p core.IdentityProvider) (string, error) {
	b, err := s.sealer.Open(p.ClientSecretSealed, secretAD(p.ID))
	if err != nil {
		return "", fmt.Errorf("identity provider %s: client secret: %w", p.ID, err)
	}
	return string(b), nil
}
