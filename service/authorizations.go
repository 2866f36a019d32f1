package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// AuthorizeRequest is a validated authorization request (RFC 6749 §4.1.1,
// RFC 7636 §4.3).
type AuthorizeRequest struct {
	Client core.Client
	// RedirectURI is the redirect_uri parameter as given; empty when it
	// was omitted because the client has exactly one registered.
	RedirectURI string
	// Redirect is where the response goes: RedirectURI, or the one
	// registered. It is empty until the request proved it safe to
	// redirect to, so an error without it is shown, not redirected.
	Redirect            string
	State               string
	Scopes              []string
	CodeChallenge       string
	CodeChallengeMethod string
	// OpenID Connect Core §3.1.2.1: Nonce is echoed in the ID token;
	// Prompt holds none, login, consent or select_account; MaxAge is the
	// longest age in seconds of a sign-in to accept (-1: any); LoginHint
	// prefills the sign-in form; HintSubject is the sub of a valid
	// id_token_hint. ui_locales, claims_locales and display are accepted
	// and ignored.
	Nonce       string
	Prompt      []string
	MaxAge      int
	LoginHint   string
	HintSubject string
	// ACRValues is acr_values (Core §3.1.2.1), the authentication context
	// classes asked for, most preferred first.
	ACRValues []string
	// Key identifies the authorization request: a hash of its parameters,
	// the same for every post of its consent form.
	Key string
}

// HasPrompt reports whether the request's prompt parameter holds value.
func (r AuthorizeRequest) HasPrompt(value string) bool {
	for _, p := range r.Prompt {
		if p == value {
			return true
		}
	}
	return false
}

// Requirements are the conditions the request sets on the sign-in behind
// its code (OpenID Connect Core §3.1.2.1): prompt=login or select_account,
// max_age, and the person an id_token_hint names. IssueCode checks them;
// the authorization endpoint checks them to decide whether to show the
// sign-in form.
func (r AuthorizeRequest) Requirements() core.SignInRequirements {
	q := core.SignInRequirements{
		Fresh:   r.HasPrompt("login") || r.HasPrompt("select_account"),
		MaxAge:  -1,
		Subject: r.HintSubject,
		MFA:     r.WantsMFA(),
	}
	if r.MaxAge >= 0 {
		q.MaxAge = time.Duration(r.MaxAge) * time.Second
	}
	return q
}

// WantsMFA reports whether the request asks for a sign-in with two
// factors (acr_values holds urn:identityd:acr:mfa): a person with a
// second factor is asked for it even within a session (step-up).
func (r AuthorizeRequest) WantsMFA() bool {
	for _, v := range r.ACRValues {
		if v == core.ACRMFA {
			return true
		}
	}
	return false
}

// maxAgeLimit bounds max_age (ten years in seconds).
const maxAgeLimit = 10 * 365 * 24 * 3600

// parseOpenID reads the OpenID Connect parameters of an authorization
// request into req (Core §3.1.2.1, §6.1, §6.2).
func (s *Authorizations) parseOpenID(ctx context.Context, q url.Values, req *AuthorizeRequest) error {
	if m := q.Get("response_mode"); m != "" && m != "query" {
		return invalidRequest("only response_mode=query is supported")
	}
	req.Nonce = q.Get("nonce")
	if len(req.Nonce) > 512 {
		return invalidRequest("nonce must be at most 512 characters")
	}
	req.LoginHint = q.Get("login_hint")
	if len(req.LoginHint) > 254 {
		req.LoginHint = ""
	}
	for _, p := range strings.Fields(q.Get("prompt")) {
		switch p {
		case "none", "login", "consent", "select_account":
		default:
			return invalidRequest("prompt must be none, login, consent or select_account")
		}
		if !req.HasPrompt(p) {
			req.Prompt = append(req.Prompt, p)
		}
	}
	if req.HasPrompt("none") && len(req.Prompt) > 1 {
		return invalidRequest("prompt=none cannot be combined with another value")
	}
	req.ACRValues = strings.Fields(q.Get("acr_values"))
	if len(req.ACRValues) > 10 {
		return invalidRequest("acr_values names at most 10 values")
	}
	req.MaxAge = -1
	if v := q.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxAgeLimit {
			return invalidRequest("max_age must be a non-negative number of seconds")
		}
		req.MaxAge = n
	}
	if raw := q.Get("id_token_hint"); raw != "" {
		claims, err := s.tokens.ParseIDToken(ctx, raw)
		if err != nil {
			return invalidRequest("id_token_hint is not an ID token issued here").Wrap(err)
		}
		req.HintSubject = claims.Subject
	}
	return nil
}

// Authorizations validates authorization requests, issues authorization
// codes and redeems them (RFC 6749 §4.1).
type Authorizations struct {
	clients  ports.ClientRepository
	codes    ports.AuthCodeRepository
	secrets  ports.SecretHasher
	random   ports.Random
	clock    ports.Clock
	tokens   *Tokens
	audit    *Audit
	ttl      time.Duration
	answers  ports.RateLimitStore
	consents ports.ConsentRepository
}

// AuthorizationDeps are the ports Authorizations uses.
type AuthorizationDeps struct {
	Clients ports.ClientRepository
	Codes   ports.AuthCodeRepository
	Secrets ports.SecretHasher
	Random  ports.Random
	Clock   ports.Clock
	Tokens  *Tokens
	Audit   *Audit
	// Answers remembers which authorization requests were approved, on
	// every instance, so that one request yields at most one code.
	Answers ports.RateLimitStore
	// Consents remembers what people approved (consents.go); nil: every
	// client that is not first-party asks every time.
	Consents ports.ConsentRepository
}

// NewAuthorizations returns the service; codes live codeTTL.
func NewAuthorizations(codeTTL time.Duration, d AuthorizationDeps) *Authorizations {
	return &Authorizations{clients: d.Clients, codes: d.Codes, secrets: d.Secrets, random: d.Random, clock: d.Clock, tokens: d.Tokens, audit: d.Audit, ttl: codeTTL, answers: d.Answers, consents: d.Consents}
}

func invalidRequest(desc string) *core.OAuthError {
	return core.NewOAuthError(core.CodeInvalidRequest, desc)
}

// Validate checks an authorization request under RFC 6749's parameter rules
// (core.OAuthParams: empty is absent, repeated is invalid_request). client_id
// and redirect_uri are checked first: while either is in doubt the returned request has no
// Redirect, and the error must be shown to the person, never redirected
// (RFC 6749 §4.1.2.1). Later errors come with Redirect and State set.
func (s *Authorizations) Validate(ctx context.Context, q url.Values) (AuthorizeRequest, error) {
	var req AuthorizeRequest
	q, repeated := core.OAuthParams(q)
	for _, name := range repeated {
		if name == "client_id" || name == "redirect_uri" {
			return req, core.ErrRepeatedParam(name)
		}
	}
	id := q.Get("client_id")
	if id == "" {
		return req, invalidRequest("the request has no client_id")
	}
	client, err := s.clients.GetClient(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return req, invalidRequest("the client_id is not registered here").Wrap(err)
	}
	if err != nil {
		return req, err
	}
	req.Client = client
	req.RedirectURI = q.Get("redirect_uri")
	switch {
	case req.RedirectURI != "":
		if !client.AllowsRedirect(req.RedirectURI) {
			return req, invalidRequest("the redirect_uri is not registered for this client")
		}
	case len(client.RedirectURIs) == 1:
		req.Redirect = client.RedirectURIs[0]
	default:
		return req, invalidRequest("the request has no redirect_uri and the client has none or several registered")
	}
	if req.Redirect == "" {
		req.Redirect = req.RedirectURI
	}
	if len(q["state"]) == 1 {
		req.State = q.Get("state")
	}
	sum := sha256.Sum256([]byte(q.Encode()))
	req.Key = hex.EncodeToString(sum[:])
	if len(repeated) > 0 {
		return req, core.ErrRepeatedParam(repeated[0])
	}
	// OpenID Connect Core §6: request objects are not supported, and say
	// so before anything they might have carried is found missing.
	if q.Has("request") {
		return req, core.NewOAuthError(core.CodeRequestNotSupported, "the request parameter (request objects) is not supported")
	}
	if q.Has("request_uri") {
		return req, core.NewOAuthError(core.CodeRequestURINotSupported, "the request_uri parameter is not supported")
	}
	switch rt := q.Get("response_type"); rt {
	case "":
		return req, invalidRequest("response_type is required")
	case "code":
	default:
		return req, core.NewOAuthError(core.CodeUnsupportedResponseType, "only response_type=code is supported")
	}
	if !client.AllowsGrant(core.GrantAuthorizationCode) {
		return req, core.NewOAuthError(core.CodeUnauthorizedClient, "the client may not use the authorization_code grant")
	}
	requested, err := core.ParseScope(q.Get("scope"))
	if err != nil {
		return req, err
	}
	// OpenID Connect Core §3.1.2.1: unknown scope values are ignored in
	// an OpenID request, and offline_access (§11) is understood; a plain
	// OAuth request keeps RFC 6749 §5.2's invalid_scope.
	if core.IsOpenIDRequest(requested, client.Scopes) {
		req.Scopes = core.OpenIDRequestScope(requested, client.Scopes, client.AllowsGrant(core.GrantRefreshToken))
	} else if req.Scopes, err = core.NarrowScope(requested, client.Scopes); err != nil {
		return req, err
	}
	if err := s.parseOpenID(ctx, q, &req); err != nil {
		return req, err
	}
	req.CodeChallenge, req.CodeChallengeMethod = q.Get("code_challenge"), q.Get("code_challenge_method")
	return req, checkPKCE(client, req.CodeChallenge, req.CodeChallengeMethod)
}

// checkPKCE enforces RFC 7636 as identityd profiles it: S256 only, required
// for public clients, accepted from every client.
func checkPKCE(c core.Client, challenge, method string) error {
	switch {
	case challenge == "" && method != "":
		return invalidRequest("code_challenge_method given without code_challenge")
	case challenge == "" && c.Public:
		return invalidRequest("a public client must use PKCE: code_challenge with code_challenge_method=S256 (RFC 7636)")
	case challenge == "":
		return nil
	case method == "plain" || method == "":
		return invalidRequest("the plain PKCE method is not supported; use code_challenge_method=S256")
	case method != core.PKCEMethodS256:
		return invalidRequest("code_challenge_method must be S256")
	case !core.ValidPKCEChallenge(challenge):
		return invalidRequest("code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)")
	}
	return nil
}

// approvalWindow is how long an approved authorization request is
// remembered: far longer than a code lives, so a replayed consent form
// never mints a second code that could still be redeemed.
const approvalWindow = 24 * time.Hour

// errAnswered is a consent form posted again for a request already
// approved: a double click, or back then Allow.
var errAnswered = invalidRequest("this authorization request has already been answered; start again from the application")

// Approve records that user approved req, once: the first approval of an
// authorization request is allowed, every later one (a double POST, back
// then Allow, a replayed form) is invalid_request, so one authorization
// request yields at most one code (RFC 9700 §4.5, RFC 6749 §10.5). The
// record is shared by every instance through the store behind Answers.
// The approval is then remembered as the person's consent to the client
// for the request's scopes (ConsentPrompt).
func (s *Authorizations) Approve(ctx context.Context, req AuthorizeRequest, user core.User) error {
	if s.answers != nil {
		res, err := s.answers.Allow(ctx, "approved:"+user.ID+":"+req.Key, core.RateLimit{Limit: 1, Window: approvalWindow}, s.clock.Now())
		if err != nil {
			return fmt.Errorf("record approval: %w", err)
		}
		if !res.Allowed {
			return errAnswered
		}
	}
	return s.rememberConsent(ctx, req, user)
}

// IssueCode makes the authorization code for an approved request by user,
// who signed in as signIn says (RFC 6749 §4.1.2). It is the one way a code
// is made, and it re-checks every condition the request set on the
// sign-in (Requirements): a form posted without the sign-in the request
// asked for gets login_required, never a code (OpenID Connect Core
// §3.1.2.1). Only the code's hash is stored; the management scopes are
// dropped for a user without the admin role.
func (s *Authorizations) IssueCode(ctx context.Context, req AuthorizeRequest, user core.User, signIn core.SignIn) (string, error) {
	now := s.clock.Now()
	if signIn.UserID != user.ID {
		return "", core.NewOAuthError(core.CodeLoginRequired, "the person must sign in")
	}
	if err := req.Requirements().Unmet(signIn, now); err != nil {
		return "", err
	}
	raw := s.random.NewToken()
	c := core.AuthCode{
		Hash: s.secrets.Hash(raw), ClientID: req.Client.ID, UserID: user.ID, RedirectURI: req.RedirectURI,
		Scopes: core.GrantableScopes(user, req.Scopes), CodeChallenge: req.CodeChallenge, CodeChallengeMethod: req.CodeChallengeMethod,
		IssuedAt: now, ExpiresAt: now.Add(s.ttl), Nonce: req.Nonce, AuthTime: signIn.Time, AMR: signIn.AMR,
	}
	if err := s.codes.CreateAuthCode(ctx, c); err != nil {
		return "", fmt.Errorf("store authorization code: %w", err)
	}
	return raw, nil
}

// tokenRedirectURI applies RFC 6749 §4.1.3 to the redirect_uri of a token
// request: required when the authorization request included one, and then
// identical to it (core.AuthCode.Redeem compares). When the authorization
// request omitted it, the response went to the client's one registered URI;
// a token request may omit redirect_uri then, or name exactly that URI,
// which counts as omitting it. Any other value stays, and fails the
// comparison.
func tokenRedirectURI(client core.Client, c core.AuthCode, given string) string {
	if c.RedirectURI == "" && len(client.RedirectURIs) == 1 && client.AllowsRedirect(given) {
		return ""
	}
	return given
}

// Redeem exchanges a code for tokens (RFC 6749 §4.1.3, RFC 7636 §4.6). The
// code is single-use: a second redemption fails with invalid_grant and
// revokes every token issued from the first (RFC 6749 §4.1.2).
func (s *Authorizations) Redeem(ctx context.Context, client core.Client, code, redirectURI, verifier string) (core.TokenResponse, error) {
	if code == "" {
		return core.TokenResponse{}, invalidRequest("code is required")
	}
	if verifier != "" && !core.ValidPKCEVerifier(verifier) {
		return core.TokenResponse{}, invalidRequest("code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)")
	}
	// hash is the code's hash under the key it was stored with (the
	// previous one during a change of JWT_REFRESH_SECRET): the tokens
	// issued from the code are found by it.
	var hash string
	now := s.clock.Now()
	stored, err := ports.FindHashed(s.secrets, code, func(h string) (core.AuthCode, error) {
		hash = h
		return s.codes.UpdateAuthCode(ctx, h, func(c core.AuthCode) (core.AuthCode, error) {
			if client.Public && c.CodeChallenge == "" {
				return c, core.NewOAuthError(core.CodeInvalidGrant, "a public client's code must be bound to a PKCE challenge")
			}
			return c.Redeem(client.ID, tokenRedirectURI(client, c, redirectURI), verifier, now)
		})
	})
	switch {
	case errors.Is(err, core.ErrNotFound):
		return core.TokenResponse{}, core.NewOAuthError(core.CodeInvalidGrant, "the authorization code is invalid").Wrap(err)
	case errors.Is(err, core.ErrCodeReused):
		if rerr := s.tokens.RevokeAll(ctx, core.TokenFilter{AuthCodeID: hash}); rerr != nil {
			return core.TokenResponse{}, rerr
		}
		s.audit.Record(ctx, core.AuditEvent{Type: core.AuditTokenRevoked, ActorType: core.AuditActorClient, ActorID: client.ID, SubjectID: stored.UserID, UserID: stored.UserID, ClientID: client.ID, Detail: "authorization code reused: tokens issued from it revoked"})
		return core.TokenResponse{}, err
	case err != nil:
		return core.TokenResponse{}, err
	}
	return s.tokens.Issue(ctx, Grant{
		Client: client, UserID: stored.UserID, Scopes: stored.Scopes,
		WithRefresh: client.AllowsGrant(core.GrantRefreshToken), AuthCodeID: hash, GrantType: core.GrantAuthorizationCode,
		Nonce: stored.Nonce, AuthTime: stored.AuthTime, AMR: stored.AMR,
	})
}
