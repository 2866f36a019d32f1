package service

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// UpstreamFlowTTL is how long a person has to come back from the upstream
// provider.
const UpstreamFlowTTL = 10 * time.Minute

// PendingLinkTTL is how long a person has to prove an existing account
// theirs after an upstream sign-in that would link to it.
const PendingLinkTTL = 15 * time.Minute

// auditUserCreated records an account made by a first upstream sign-in
// (contract §7 user.created).
const auditUserCreated = "user.created"

// UpstreamFlow is the state of one upstream sign-in that the browser keeps
// (the transport binds it to the browser in a signed cookie): the state,
// nonce and PKCE verifier sent to the provider, and where to go back.
type UpstreamFlow struct {
	ProviderID string
	State      string
	Nonce      string
	// Verifier is the PKCE code_verifier (RFC 7636 §4.1).
	Verifier string
	// ReturnTo is the local path (an authorization request, the device
	// page) the person continues with.
	ReturnTo  string
	ExpiresAt time.Time
}

// UpstreamCallback is the provider's authorization response (RFC 6749
// §4.1.2, §4.1.2.1; RFC 9207 iss).
type UpstreamCallback struct {
	State, Code, Iss, Error, ErrorDescription string
}

// PendingLink is an upstream account waiting to be linked to the person
// UserID, once they prove the account theirs by signing in after At.
type PendingLink struct {
	ProviderID string
	Issuer     string
	Subject    string
	Email      string
	UserID     string
	At         time.Time
	ExpiresAt  time.Time
}

// UpstreamOutcome is the result of an upstream sign-in: the person signed
// in (Created when the sign-in made the account), or a link waiting for
// proof (Pending).
type UpstreamOutcome struct {
	User    core.User
	Created bool
	Pending *PendingLink
}

// LinkRefusedError is an upstream sign-in whose account could not be
// made or linked; Decision says why.
type LinkRefusedError struct {
	Decision core.LinkDecision
	Provider core.IdentityProvider
}

func (e *LinkRefusedError) Error() string {
	return fmt.Sprintf("upstream sign-in with %s: link refused (%d)", e.Provider.ID, e.Decision)
}

// ErrAccountDisabled is an upstream sign-in of a person whose account an
// administrator disabled.
var ErrAccountDisabled = errors.New("the account is disabled")

// UpstreamSignIns signs people in through upstream OpenID Providers
// (OpenID Connect Core 1.0 §3.1, identityd as the relying party), and
// creates and links their accounts by the provider's (iss, sub) — never
// by e-mail alone (core.DecideLink).
type UpstreamSignIns struct {
	providers *IdentityProviders
	links     ports.IdentityLinkRepository
	users     ports.UserRepository
	oidc      ports.UpstreamOIDC
	random    ports.Random
	clock     ports.Clock
	audit     *Audit
	accounts  *Accounts
	issuer    string
}

// UpstreamDeps are what UpstreamSignIns uses.
type UpstreamDeps struct {
	Providers *IdentityProviders
	Links     ports.IdentityLinkRepository
	Users     ports.UserRepository
	OIDC      ports.UpstreamOIDC
	Random    ports.Random
	Clock     ports.Clock
	Audit     *Audit
	Accounts  *Accounts
	// Issuer is ISSUER_URL, the base of the redirect URIs.
	Issuer string
}

// NewUpstreamSignIns returns the service.
func NewUpstreamSignIns(d UpstreamDeps) *UpstreamSignIns {
	return &UpstreamSignIns{providers: d.Providers, links: d.Links, users: d.Users, oidc: d.OIDC, random: d.Random,
		clock: d.Clock, audit: d.Audit, accounts: d.Accounts, issuer: strings.TrimSuffix(d.Issuer, "/")}
}

// RedirectURI is the redirect URI registered at provider id:
// {ISSUER_URL}/login/{id}/callback.
func (s *UpstreamSignIns) RedirectURI(id string) string {
	return s.issuer + "/login/" + id + "/callback"
}

// Providers lists the providers a person may sign in with.
func (s *UpstreamSignIns) Providers(ctx context.Context) ([]core.IdentityProvider, error) {
	return s.providers.List(ctx)
}

// Begin starts an upstream sign-in with provider id: the URL of the
// provider's authorization endpoint to send the browser to, and the flow
// state the browser must keep. core.ErrNotFound for an unknown provider;
// core.ErrUnavailable when its discovery document cannot be read.
func (s *UpstreamSignIns) Begin(ctx context.Context, id, returnTo string) (string, UpstreamFlow, error) {
	p, err := s.providers.Get(ctx, id)
	if err != nil {
		return "", UpstreamFlow{}, err
	}
	f := UpstreamFlow{
		ProviderID: p.ID, State: s.random.NewToken(), Nonce: s.random.NewToken(), Verifier: s.random.NewToken(),
		ReturnTo: returnTo, ExpiresAt: s.clock.Now().Add(UpstreamFlowTTL),
	}
	u, err := s.oidc.AuthCodeURL(ctx, p, s.request(f))
	if err != nil {
		return "", UpstreamFlow{}, err
	}
	return u, f, nil
}

func (s *UpstreamSignIns) request(f UpstreamFlow) ports.UpstreamRequest {
	return ports.UpstreamRequest{RedirectURI: s.RedirectURI(f.ProviderID), State: f.State, Nonce: f.Nonce, Verifier: f.Verifier}
}

// ErrUpstreamState is a callback whose state is not the one this browser
// was sent with (forged, replayed, from another browser, or too late):
// RFC 6749 §10.12.
var ErrUpstreamState = &core.UpstreamError{Code: "invalid_state", Description: "the sign-in response does not belong to this browser's sign-in; start again"}

// upstreamErrorCodes are the error codes of RFC 6749 §4.1.2.1 and OpenID
// Connect Core §3.1.2.6 passed on; any other is access_denied.
var upstreamErrorCodes = []string{
	core.CodeAccessDenied, core.CodeInvalidRequest, core.CodeUnauthorizedClient, core.CodeInvalidScope,
	core.CodeServerError, core.CodeTemporarilyUnavailable, core.CodeLoginRequired, core.CodeConsentRequired,
	core.CodeInteractionRequired, "account_selection_required",
}

// Complete finishes an upstream sign-in from the provider's callback. The
// state must be the flow's (compared in constant time) and unexpired, and
// iss, when present, the provider's (RFC 9207 §2.4); then the code is
// redeemed and the id_token verified (ports.UpstreamOIDC.Exchange), and
// the person found by link, made, or offered a link (core.DecideLink).
// Errors: ErrUpstreamState, a *core.UpstreamError (the provider's error,
// or an answer that does not verify), a *LinkRefusedError,
// core.ErrUnavailable.
func (s *UpstreamSignIns) Complete(ctx context.Context, f UpstreamFlow, id string, cb UpstreamCallback) (UpstreamOutcome, error) {
	if f.ProviderID == "" || f.ProviderID != id || cb.State == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(cb.State)) != 1 ||
		!s.clock.Now().Before(f.ExpiresAt) {
		s.fail(ctx, id, "state does not match this browser's sign-in")
		return UpstreamOutcome{}, ErrUpstreamState
	}
	p, err := s.providers.Get(ctx, id)
	if err != nil {
		return UpstreamOutcome{}, err
	}
	if !p.AcceptsResponseIssuer(cb.Iss) {
		s.fail(ctx, id, "iss of the authorization response is not the provider's (mix-up)")
		return UpstreamOutcome{}, &core.UpstreamError{Code: core.UpstreamInvalid, Description: "the response names another issuer than " + p.Name}
	}
	if cb.Error != "" {
		code := core.CodeAccessDenied
		for _, c := range upstreamErrorCodes {
			if cb.Error == c {
				code = c
			}
		}
		s.fail(ctx, id, "provider answered "+code)
		return UpstreamOutcome{}, &core.UpstreamError{Code: code, Description: "the sign-in at " + p.Name + " did not complete"}
	}
	if cb.Code == "" {
		s.fail(ctx, id, "no code in the response")
		return UpstreamOutcome{}, &core.UpstreamError{Code: core.UpstreamInvalid, Description: "the response has no code"}
	}
	secret, err := s.providers.clientSecret(p)
	if err != nil {
		return UpstreamOutcome{}, err
	}
	ident, err := s.oidc.Exchange(ctx, p, secret, s.request(f), cb.Code)
	if err != nil {
		if ue := (*core.UpstreamError)(nil); errors.As(err, &ue) {
			s.fail(ctx, id, ue.Description)
		}
		return UpstreamOutcome{}, err
	}
	return s.resolve(ctx, p, ident)
}

func (s *UpstreamSignIns) fail(ctx context.Context, providerID, detail string) {
	s.audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginFailed, ActorType: core.AuditActorUser, Detail: "upstream " + providerID + ": " + detail})
}

// resolve finds, makes or offers to link the person of a verified
// upstream identity.
func (s *UpstreamSignIns) resolve(ctx context.Context, p core.IdentityProvider, ident core.UpstreamIdentity) (UpstreamOutcome, error) {
	for attempt := 0; attempt < 2; attempt++ {
		if u, ok, err := s.linked(ctx, ident); err != nil || ok {
			if ok && u.Disabled {
				s.fail(ctx, p.ID, "account disabled")
				return UpstreamOutcome{}, ErrAccountDisabled
			}
			if ok {
				s.audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginSucceeded, ActorType: core.AuditActorUser, ActorID: u.ID, SubjectID: u.ID, UserID: u.ID, Success: true, Detail: "upstream " + p.ID})
			}
			return UpstreamOutcome{User: u}, err
		}
		email, ok := normalizeEmail(ident.Email)
		if !ok || core.ValidateEmail(email) != "" {
			email = ""
		}
		ident.Email = email
		existing, err := s.accounts.findUserByEmail(ctx, email)
		taken := err == nil
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			return UpstreamOutcome{}, err
		}
		if email == "" {
			taken = false
		}
		switch d := core.DecideLink(p, ident, taken); d {
		case core.LinkCreate:
			out, err := s.create(ctx, p, ident)
			if errors.Is(err, core.ErrAlreadyExists) {
				continue // the address or the link was taken meanwhile: decide again
			}
			return out, err
		case core.LinkAfterProof:
			now := s.clock.Now()
			return UpstreamOutcome{Pending: &PendingLink{
				ProviderID: p.ID, Issuer: ident.Issuer, Subject: ident.Subject, Email: email, UserID: existing.ID,
				At: now, ExpiresAt: now.Add(PendingLinkTTL),
			}}, nil
		default:
			s.fail(ctx, p.ID, "account exists, link refused")
			return UpstreamOutcome{}, &LinkRefusedError{Decision: d, Provider: p}
		}
	}
	return UpstreamOutcome{}, fmt.Errorf("upstream sign-in with %s: %w", p.ID, core.ErrConflict)
}

// linked returns the person linked to ident, if any. A link whose person
// is gone is removed.
func (s *UpstreamSignIns) linked(ctx context.Context, ident core.UpstreamIdentity) (core.User, bool, error) {
	l, err := s.links.GetIdentityLink(ctx, ident.Issuer, ident.Subject)
	if errors.Is(err, core.ErrNotFound) {
		return core.User{}, false, nil
	}
	if err != nil {
		return core.User{}, false, err
	}
	u, err := s.users.GetUser(ctx, l.UserID)
	if errors.Is(err, core.ErrNotFound) {
		if err := s.links.DeleteIdentityLink(ctx, l.UserID, l.ProviderID); err != nil && !errors.Is(err, core.ErrNotFound) {
			return core.User{}, false, err
		}
		return core.User{}, false, nil
	}
	if err != nil {
		return core.User{}, false, err
	}
	return u, true, nil
}

// nameParts returns a first and last name from the standard claims
// (OpenID Connect Core §5.1), falling back to splitting name, then to the
// address's local part.
func nameParts(ident core.UpstreamIdentity) (string, string) {
	first, last := strings.TrimSpace(ident.GivenName), strings.TrimSpace(ident.FamilyName)
	if first == "" && last == "" {
		f, l, _ := strings.Cut(strings.TrimSpace(ident.Name), " ")
		first, last = f, strings.TrimSpace(l)
	}
	if first == "" {
		first, _, _ = strings.Cut(ident.Email, "@")
	}
	return clip(first, 100), clip(last, 100)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// create makes a person from ident and links them to it.
func (s *UpstreamSignIns) create(ctx context.Context, p core.IdentityProvider, ident core.UpstreamIdentity) (UpstreamOutcome, error) {
	now := s.clock.Now()
	first, last := nameParts(ident)
	u := core.User{
		ID: s.random.NewID(), Email: ident.Email, PasswordHash: core.NoPassword, FirstName: first, LastName: last,
		EmailVerified: ident.EmailVerified, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.users.CreateUser(ctx, u); err != nil {
		return UpstreamOutcome{}, err
	}
	l := core.IdentityLink{UserID: u.ID, ProviderID: p.ID, Issuer: ident.Issuer, Subject: ident.Subject, Email: ident.Email, CreatedAt: now}
	if err := s.links.CreateIdentityLink(ctx, l); err != nil {
		// Another sign-in of the same upstream account made its person
		// first: this one goes.
		_ = s.users.DeleteUser(ctx, u.ID)
		return UpstreamOutcome{}, err
	}
	s.audit.Record(ctx, core.AuditEvent{Type: auditUserCreated, ActorType: core.AuditActorUser, ActorID: u.ID, SubjectID: u.ID, UserID: u.ID, Success: true, Detail: "first sign-in with " + p.ID})
	s.audit.Record(ctx, core.AuditEvent{Type: core.AuditUserLinked, ActorType: core.AuditActorUser, ActorID: u.ID, SubjectID: u.ID, UserID: u.ID, Success: true, Detail: "provider " + p.ID + " (new account)"})
	s.audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginSucceeded, ActorType: core.AuditActorUser, ActorID: u.ID, SubjectID: u.ID, UserID: u.ID, Success: true, Detail: "upstream " + p.ID})
	return UpstreamOutcome{User: u, Created: true}, nil
}

// CompleteLink links the pending upstream account to user, who proved the
// account theirs by signing in at authTime, after the upstream sign-in. It
// reports whether it linked; a pending link of another person, expired,
// or older than the sign-in's proof links nothing.
func (s *UpstreamSignIns) CompleteLink(ctx context.Context, pl PendingLink, user core.User, authTime time.Time) (bool, error) {
	if pl.UserID == "" || pl.UserID != user.ID || authTime.Before(pl.At) || !s.clock.Now().Before(pl.ExpiresAt) {
		return false, nil
	}
	if _, err := s.providers.Get(ctx, pl.ProviderID); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	l := core.IdentityLink{UserID: user.ID, ProviderID: pl.ProviderID, Issuer: pl.Issuer, Subject: pl.Subject, Email: pl.Email, CreatedAt: s.clock.Now()}
	if err := s.links.CreateIdentityLink(ctx, l); err != nil {
		if errors.Is(err, core.ErrAlreadyExists) || errors.Is(err, core.ErrConflict) {
			return false, nil
		}
		return false, err
	}
	s.audit.Record(ctx, core.AuditEvent{Type: core.AuditUserLinked, ActorType: core.AuditActorUser, ActorID: user.ID, SubjectID: user.ID, UserID: user.ID, Success: true, Detail: "provider " + pl.ProviderID + " (proved by sign-in)"})
	return true, nil
}

// Links returns a person's links.
func (s *UpstreamSignIns) Links(ctx context.Context, userID string) ([]core.IdentityLink, error) {
	return s.links.ListIdentityLinks(ctx, userID)
}

// Unlink removes the person's link to provider id, as long as they keep
// another way to sign in (a password, or another link): core.ErrConflict
// otherwise; core.ErrNotFound when there is no such link.
func (s *UpstreamSignIns) Unlink(ctx context.Context, userID, id string) error {
	u, err := s.users.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	links, err := s.links.ListIdentityLinks(ctx, userID)
	if err != nil {
		return err
	}
	found := false
	for _, l := range links {
		found = found || l.ProviderID == id
	}
	if !found {
		return fmt.Errorf("identity link %s: %w", id, core.ErrNotFound)
	}
	if !core.HasPassword(u) && len(links) < 2 {
		return &core.ForbiddenError{Description: "this is your only way to sign in: set a password first (password reset) or link another provider"}
	}
	if err := s.links.DeleteIdentityLink(ctx, userID, id); err != nil {
		return err
	}
	s.audit.Record(ctx, core.AuditEvent{Type: core.AuditUserUnlinked, ActorType: core.AuditActorUser, ActorID: userID, SubjectID: userID, UserID: userID, Success: true, Detail: "provider " + id})
	return nil
}
