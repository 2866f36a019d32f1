package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// GrantSet tells which grant types are installed.
type GrantSet interface {
	Has(grantType string) bool
}

// Clients authenticates and manages OAuth clients.
type Clients struct {
	repo   ports.ClientRepository
	scopes ports.ScopeRepository
	hasher ports.SecretHasher
	random ports.Random
	clock  ports.Clock
	tokens *Tokens
	grants GrantSet
	audit  *Audit
	names  ports.ClientNameFinder
	// builtin are the clients the server keeps itself: no caller may
	// change them.
	builtin []string
	// dummy is compared against when the client is unknown, so both
	// failures cost the same.
	dummy string
}

// ClientDeps are the ports Clients uses.
type ClientDeps struct {
	Repo   ports.ClientRepository
	Scopes ports.ScopeRepository
	Hasher ports.SecretHasher
	Random ports.Random
	Clock  ports.Clock
	Tokens *Tokens
	Grants GrantSet
	// Audit records every change; nil records nothing.
	Audit *Audit
	// Names finds clients by name (List with a name); nil: not supported.
	Names ports.ClientNameFinder
	// Builtin names the clients the server keeps itself (identity-web,
	// the bootstrap admin client): the API cannot change, delete or
	// re-key them.
	Builtin []string
}

// NewClients returns the client service.
func NewClients(d ClientDeps) *Clients {
	return &Clients{repo: d.Repo, scopes: d.Scopes, hasher: d.Hasher, random: d.Random, clock: d.Clock, tokens: d.Tokens, grants: d.Grants, audit: d.Audit, names: d.Names, builtin: d.Builtin, dummy: d.Hasher.Hash(d.Random.NewToken())}
}

var errBadClient = core.NewOAuthError(core.CodeInvalidClient, "client authentication failed")

// Authenticate checks a client's credentials (RFC 6749 §2.3.1). An empty
// secret authenticates a public client by its id alone. Unknown client and
// wrong secret give the same invalid_client.
func (s *Clients) Authenticate(ctx context.Context, id, secret string) (core.Client, error) {
	c, err := s.repo.GetClient(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		// As many comparisons as a wrong secret of a known client.
		s.hasher.Equal(s.dummy, secret)
		for _, o := range ports.Others(s.hasher) {
			o.Equal(s.dummy, secret)
		}
		return core.Client{}, errBadClient.Wrap(err)
	}
	if err != nil {
		return core.Client{}, err
	}
	if c.Public {
		if secret != "" {
			return core.Client{}, errBadClient.Wrap(errors.New("public client sent a secret"))
		}
		return c, nil
	}
	if secret == "" {
		return core.Client{}, errBadClient.Wrap(errors.New("no secret"))
	}
	if s.hasher.Equal(c.SecretHash, secret) {
		if c.SecretHashKey != s.hasher.KeyID() {
			s.rehash(ctx, c, secret)
		}
		return c, nil
	}
	if next := s.hasher.Next(); next != nil && next.Equal(c.SecretHash, secret) {
		// Hashed by an instance already on JWT_REFRESH_SECRET_NEXT as
		// its current secret: left as it is, or the instances would
		// hash it back and forth until the last one switched.
		return c, nil
	}
	if prev := s.hasher.Previous(); prev != nil && prev.Equal(c.SecretHash, secret) {
		s.rehash(ctx, c, secret)
		return c, nil
	}
	if c.KeepsPreviousSecretAt(s.clock.Now()) && equalHashed(s.hasher, c.PreviousSecretHash, secret) {
		// The secret regenerate-secret replaced, within keep_previous_for.
		return c, nil
	}
	return core.Client{}, errBadClient.Wrap(errors.New("wrong secret"))
}

// rehash stores the secret of c, just verified, hashed under the current
// key: after a change of JWT_REFRESH_SECRET a client moves to the new key
// by authenticating once while JWT_REFRESH_SECRET_PREVIOUS is set, and a
// hash from before keys were recorded gets its key recorded. Nothing
// changes when the stored hash changed meanwhile (a new secret). A failure
// is left for the next authentication: this one has succeeded.
func (s *Clients) rehash(ctx context.Context, c core.Client, secret string) {
	_, _ = s.repo.UpdateClient(ctx, c.ID, func(now core.Client) (core.Client, error) {
		if now.SecretHash != c.SecretHash {
			return now, errSecretChanged
		}
		now.SecretHash, now.SecretHashKey = s.hasher.Hash(secret), s.hasher.KeyID()
		return now, nil
	})
}

// errSecretChanged stops a rehash that a change of secret overtook.
var errSecretChanged = errors.New("the client secret changed")

// ClientInput is what a caller may set on a client.
type ClientInput struct {
	// ID is chosen by the server when empty.
	ID           string
	Name         string
	RedirectURIs []string
	GrantTypes   []string
	Scopes       []string
	// Public is fixed at creation; nil means false there and "unchanged"
	// on update.
	Public     *bool
	FirstParty bool
	// PostLogoutRedirectURIs and IDTokenSignedResponseAlg are the OpenID
	// Connect registration fields.
	PostLogoutRedirectURIs   []string
	IDTokenSignedResponseAlg string
	// Secret, when set on creation, is used instead of a generated one
	// (the bootstrap client); it must be at least 32 characters.
	Secret string
}

// MinSecretLength is the shortest client secret accepted from outside.
const MinSecretLength = 32

func (s *Clients) validate(ctx context.Context, c core.Client) error {
	err := core.ValidateClient(c, s.grants.Has)
	var v *core.ValidationError
	if err != nil && !errors.As(err, &v) {
		return err
	}
	if v == nil {
		v = &core.ValidationError{}
	}
	if len(c.Scopes) > 0 {
		found, ferr := s.scopes.FindScopes(ctx, c.Scopes)
		if ferr != nil {
			return ferr
		}
		if len(found) != len(c.Scopes) {
			have := map[string]bool{}
			for _, sc := range found {
				have[sc.Name] = true
			}
			for _, n := range c.Scopes {
				if !have[n] {
					v.Add("scopes", "unknown scope: "+n)
					break
				}
			}
		}
	}
	return v.Err()
}

// IsBuiltin reports whether id is a client the server keeps itself.
func (s *Clients) IsBuiltin(id string) bool { return slices.Contains(s.builtin, id) }

// Create validates and stores a new client for caller (core.SystemCaller
// at start-up). For a confidential client it returns the secret, which is
// shown this once and stored only hashed. A change the caller may not
// make is a *core.ForbiddenError (core.AuthorizeClientChange).
func (s *Clients) Create(ctx context.Context, caller core.Caller, in ClientInput) (core.Client, string, error) {
	now := s.clock.Now()
	c := core.Client{
		ID: in.ID, Name: in.Name, RedirectURIs: dedupe(in.RedirectURIs), GrantTypes: dedupe(in.GrantTypes),
		Scopes: dedupe(in.Scopes), Public: in.Public != nil && *in.Public, FirstParty: in.FirstParty, CreatedAt: now, UpdatedAt: now,
		PostLogoutRedirectURIs: dedupe(in.PostLogoutRedirectURIs), IDTokenSignedResponseAlg: in.IDTokenSignedResponseAlg,
	}
	if c.ID == "" {
		c.ID = s.random.NewID()
	} else if !caller.System {
		if err := core.AuthorizeClientID(caller); err != nil {
			return core.Client{}, "", err
		}
		if !core.ValidChosenClientID(c.ID) {
			return core.Client{}, "", &core.ValidationError{Fields: map[string]string{"client_id": "must be 3 to 64 of A-Z, a-z, 0-9, '.', '_' and '-'"}}
		}
	}
	if err := s.validate(ctx, c); err != nil {
		return core.Client{}, "", err
	}
	if err := core.AuthorizeClientChange(caller, core.ClientCreate, core.Client{}, c, false); err != nil {
		return core.Client{}, "", err
	}
	secret := ""
	if !c.Public {
		secret = in.Secret
		if secret == "" {
			secret = s.random.NewToken()
		} else if len(secret) < MinSecretLength {
			return core.Client{}, "", &core.ValidationError{Fields: map[string]string{"client_secret": fmt.Sprintf("must be at least %d characters", MinSecretLength)}}
		}
		c.SecretHash, c.SecretHashKey = s.hasher.Hash(secret), s.hasher.KeyID()
	}
	if err := s.repo.CreateClient(ctx, c); err != nil {
		return core.Client{}, "", err
	}
	s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditClientCreated, SubjectID: c.ID, ClientID: c.ID, Details: clientCreatedDetails(c)})
	return c, secret, nil
}

// Get returns a client.
func (s *Clients) Get(ctx context.Context, id string) (core.Client, error) {
	return s.repo.GetClient(ctx, id)
}

// List returns a page of clients and the cursor of the next page ("" at
// the end).
func (s *Clients) List(ctx context.Context, limit int, cursor string) ([]core.Client, string, error) {
	p, err := parsePage(limit, cursor)
	if err != nil {
		return nil, "", err
	}
	items, err := s.repo.ListClients(ctx, p)
	if err != nil {
		return nil, "", err
	}
	items, next := nextPage(items, p.Limit, func(c core.Client) string { return c.ID })
	return items, next, nil
}

// ListByName returns a page of the clients named exactly name and the
// cursor of the next page ("" at the end).
func (s *Clients) ListByName(ctx context.Context, name string, limit int, cursor string) ([]core.Client, string, error) {
	p, err := parsePage(limit, cursor)
	if err != nil {
		return nil, "", err
	}
	if utf8.RuneCountInString(name) > core.MaxClientNameLength {
		return nil, "", &core.ValidationError{Fields: map[string]string{"name": fmt.Sprintf("must be at most %d characters", core.MaxClientNameLength)}}
	}
	if s.names == nil {
		return nil, "", errors.New("listing clients by name is not supported by this store")
	}
	items, err := s.names.ListClientsByName(ctx, name, p)
	if err != nil {
		return nil, "", err
	}
	items, next := nextPage(items, p.Limit, func(c core.Client) string { return c.ID })
	return items, next, nil
}

// Update replaces the mutable fields of a client for caller. Whether it is
// public cannot change. The new fields are validated before the atomic
// update, so the update itself does no further I/O; the caller's right to
// make the change is decided inside it, against the client as stored.
func (s *Clients) Update(ctx context.Context, caller core.Caller, id string, in ClientInput) (core.Client, error) {
	current, err := s.repo.GetClient(ctx, id)
	if err != nil {
		return core.Client{}, err
	}

	if in.Public != nil && *in.Public != current.Public {
		return core.Client{}, &core.ValidationError{Fields: map[string]string{"public": "cannot change after creation; create a new client"}}
	}
	apply := func(c core.Client) core.Client {
		c.Name, c.RedirectURIs, c.GrantTypes, c.Scopes, c.FirstParty = in.Name, dedupe(in.RedirectURIs), dedupe(in.GrantTypes), dedupe(in.Scopes), in.FirstParty
		c.PostLogoutRedirectURIs, c.IDTokenSignedResponseAlg = dedupe(in.PostLogoutRedirectURIs), in.IDTokenSignedResponseAlg
		c.UpdatedAt = s.clock.Now()
		return c
	}
	if err := core.AuthorizeClientChange(caller, core.ClientUpdate, current, apply(current), s.IsBuiltin(id)); err != nil {
		return core.Client{}, err
	}
	if err := s.validate(ctx, apply(current)); err != nil {
		return core.Client{}, err
	}
	var before core.Client
	c, err := s.repo.UpdateClient(ctx, id, func(c core.Client) (core.Client, error) {
		before = c
		next := apply(c)
		if err := core.AuthorizeClientChange(caller, core.ClientUpdate, c, next, s.IsBuiltin(id)); err != nil {
			return c, err
		}
		return next, nil
	})
	if err != nil {
		return core.Client{}, err
	}
	s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditClientUpdated, SubjectID: c.ID, ClientID: c.ID, Details: clientUpdatedDetails(before, c)})
	return c, nil
}

// Delete revokes every token of the client, then removes it, for caller.
func (s *Clients) Delete(ctx context.Context, caller core.Caller, id string) error {
	current, err := s.repo.GetClient(ctx, id)
	if err != nil {
		return err
	}
	if err := core.AuthorizeClientChange(caller, core.ClientDelete, current, core.Client{}, s.IsBuiltin(id)); err != nil {
		return err
	}
	if err := s.tokens.RevokeAll(ctx, core.TokenFilter{ClientID: id}); err != nil {
		return err
	}
	if err := s.repo.DeleteClient(ctx, id); err != nil {
		return err
	}
	s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditClientDeleted, SubjectID: id, ClientID: id})
	return nil
}

// RegenerateSecret gives a confidential client a new secret, for caller.
// The old one stops working at once when keepPrevious is 0, else it keeps
// authenticating the client for keepPrevious (at most
// core.MaxKeepPreviousSecret, else a core.ValidationError on
// keep_previous_for), so a consumer can be redeployed with the new one
// without failing; a secret kept from an earlier regeneration ends.
func (s *Clients) RegenerateSecret(ctx context.Context, caller core.Caller, id string, keepPrevious time.Duration) (core.Client, string, error) {
	if keepPrevious < 0 || keepPrevious > core.MaxKeepPreviousSecret {
		return core.Client{}, "", &core.ValidationError{Fields: map[string]string{"keep_previous_for": "must be a duration from 0s to 7d"}}
	}
	secret := s.random.NewToken()
	c, err := s.repo.UpdateClient(ctx, id, func(c core.Client) (core.Client, error) {
		if err := core.AuthorizeClientChange(caller, core.ClientRegenerateSecret, c, core.Client{}, s.IsBuiltin(id)); err != nil {
			return c, err
		}
		if c.Public {
			return c, &core.ValidationError{Fields: map[string]string{"public": "a public client has no secret"}}
		}
		now := s.clock.Now()
		c.PreviousSecretHash, c.PreviousSecretHashKey, c.PreviousSecretExpiresAt = "", "", time.Time{}
		if keepPrevious > 0 {
			c.PreviousSecretHash, c.PreviousSecretHashKey, c.PreviousSecretExpiresAt = c.SecretHash, c.SecretHashKey, now.Add(keepPrevious)
		}
		c.SecretHash, c.SecretHashKey = s.hasher.Hash(secret), s.hasher.KeyID()
		c.UpdatedAt = now
		return c, nil
	})
	if err != nil {
		return core.Client{}, "", err
	}
	ev := core.AuditEvent{Type: core.AuditClientSecretRotated, SubjectID: c.ID, ClientID: c.ID}
	if keepPrevious > 0 {
		ev.Details = map[string]any{"keep_previous_for": keepPrevious.String(), "previous_secret_expires_at": c.PreviousSecretExpiresAt.Format(time.RFC3339)}
	}
	s.audit.RecordChange(ctx, ev)
	return c, secret, nil
}

// EnsureBuiltin brings an existing built-in client up to date at start:
// it holds at least scopes (a scope added in a later version, such as
// clients:admin, reaches clients created before), and a confidential
// client's secret follows the configuration when secret is not empty.
func (s *Clients) EnsureBuiltin(ctx context.Context, id, secret string, scopes []string) error {
	rekeyed, widened := false, false
	var before core.Client
	c, err := s.repo.UpdateClient(ctx, id, func(c core.Client) (core.Client, error) {
		before = c
		rekeyed = false
		next := s.hasher.Next()
		underNext := next != nil && next.Equal(c.SecretHash, secret)
		if secret != "" && !c.Public && !underNext && (!s.hasher.Equal(c.SecretHash, secret) || c.SecretHashKey != s.hasher.KeyID()) {
			// The same secret under the previous key (a change of
			// JWT_REFRESH_SECRET) is hashed again, and is no new secret.
			prev := s.hasher.Previous()
			rekeyed = !s.hasher.Equal(c.SecretHash, secret) && (prev == nil || !prev.Equal(c.SecretHash, secret))
			c.SecretHash, c.SecretHashKey = s.hasher.Hash(secret), s.hasher.KeyID()
		}
		widened = false
		for _, sc := range scopes {
			if !slices.Contains(c.Scopes, sc) {
				c.Scopes = append(c.Scopes, sc)
				widened = true
			}
		}
		if rekeyed || widened {
			c.UpdatedAt = s.clock.Now()
		}
		return c, nil
	})
	if err != nil {
		return err
	}
	if rekeyed {
		s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditClientSecretRotated, SubjectID: id, ClientID: id, Detail: "secret set from the configuration"})
	}
	if widened {
		s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditClientUpdated, SubjectID: id, ClientID: id, Details: clientUpdatedDetails(before, c)})
	}
	return nil
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
