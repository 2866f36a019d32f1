package devicecode

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// Module registers the grant.
var Module = fx.Module("grant.device_code", grants.Provide(New))

// Paths of the endpoints the grant serves.
const (
	AuthorizationPath = "/oauth/device_authorization"
	VerificationPath  = "/device"
)

// DefaultInterval is the polling interval a device starts with (RFC 8628
// §3.2: "If no value is provided, clients MUST use 5 as the default").
const DefaultInterval = 5 * time.Second

// SlowDownStep is what slow_down adds to the interval (RFC 8628 §3.5:
// "the interval MUST be increased by 5 seconds for this and all
// subsequent requests").
const SlowDownStep = 5 * time.Second

// Issuer issues tokens.
type Issuer interface {
	Issue(ctx context.Context, g service.Grant) (core.TokenResponse, error)
}

var _ Issuer = (*service.Tokens)(nil)

// Clients finds clients, for the name and first-party mark the
// verification page shows.
type Clients interface {
	GetClient(ctx context.Context, id string) (core.Client, error)
}

// Deps are what the grant uses.
type Deps struct {
	fx.In
	Settings grants.Settings
	Codes    ports.DeviceCodeRepository
	Clients  ports.ClientRepository
	Hasher   ports.SecretHasher
	Random   ports.Random
	Clock    ports.Clock
	Tokens   *service.Tokens
}

// Grant is the device authorization grant.
type Grant struct {
	issuer  string
	ttl     time.Duration
	codes   ports.DeviceCodeRepository
	clients Clients
	hasher  ports.SecretHasher
	random  ports.Random
	clock   ports.Clock
	tokens  Issuer
}

var (
	_ grants.Grant       = (*Grant)(nil)
	_ grants.Contributor = (*Grant)(nil)
	_ grants.PageHandler = (*Grant)(nil)
)

// New returns the grant.
func New(d Deps) *Grant {
	return NewWith(d.Settings, d.Codes, d.Clients, d.Hasher, d.Random, d.Clock, d.Tokens)
}

// NewWith returns the grant over the given ports (for tests).
func NewWith(s grants.Settings, codes ports.DeviceCodeRepository, clients Clients, hasher ports.SecretHasher, random ports.Random, clock ports.Clock, tokens Issuer) *Grant {
	return &Grant{issuer: s.Issuer, ttl: s.DeviceCodeTTL, codes: codes, clients: clients, hasher: hasher, random: random, clock: clock, tokens: tokens}
}

// GrantType implements grants.Grant.
func (g *Grant) GrantType() string { return core.GrantDeviceCode }

// RequiresClientAuth implements grants.Grant: devices are mostly public
// clients (RFC 8628 §3.1 "client authentication ... as described in
// Section 3.2.1 of [RFC6749]" when the client is confidential).
func (g *Grant) RequiresClientAuth() bool { return false }

// ScopePolicy implements grants.Grant: the token request takes the scope
// of the device authorization; at the device authorization endpoint an
// absent scope asks for every scope of the client.
func (g *Grant) ScopePolicy() grants.ScopePolicy { return grants.ScopeFromGrant }

// Contribute implements grants.Contributor.
func (g *Grant) Contribute() grants.Contribution {
	return grants.Contribution{Endpoints: []grants.Endpoint{
		{Path: AuthorizationPath, MetadataName: "device_authorization_endpoint", Client: g.Authorize},
		{Path: VerificationPath, Page: g},
	}}
}

// AuthorizationResponse is the device authorization response (RFC 8628
// §3.2).
type AuthorizationResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	// ExpiresIn is the lifetime of the codes in seconds.
	ExpiresIn int64 `json:"expires_in"`
	// Interval is the minimum number of seconds between polls.
	Interval int64 `json:"interval"`
}

// maxUserCodeTries bounds the retries when a new user code is taken.
const maxUserCodeTries = 5

// Authorize is the device authorization endpoint (RFC 8628 §3.1, §3.2):
// the client is authenticated and registered for the grant, and the scope
// checked, by the edge; this makes the device code and the user code.
func (g *Grant) Authorize(ctx context.Context, r grants.Request) (any, error) {
	scopes := r.Scopes
	if !r.ScopeRequested {
		scopes = append([]string(nil), r.Client.Scopes...)
	}
	now := g.clock.Now()
	deviceCode := g.random.NewToken()
	for range maxUserCodeTries {
		userCode := g.newUserCode()
		d := core.DeviceCode{
			Hash: g.hasher.Hash(deviceCode), UserCodeHash: g.hasher.Hash(userCode), ClientID: r.Client.ID, Scopes: scopes,
			IssuedAt: now, ExpiresAt: now.Add(g.ttl), Interval: DefaultInterval, Status: core.DevicePending,
		}
		err := g.codes.CreateDeviceCode(ctx, d)
		if errors.Is(err, core.ErrAlreadyExists) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store device code: %w", err)
		}
		shown := core.FormatUserCode(userCode)
		verify := g.issuer + VerificationPath
		return AuthorizationResponse{
			DeviceCode: deviceCode, UserCode: shown, VerificationURI: verify,
			VerificationURIComplete: verify + "?" + url.Values{"user_code": {shown}}.Encode(),
			ExpiresIn:               int64(g.ttl / time.Second), Interval: int64(DefaultInterval / time.Second),
		}, nil
	}
	return nil, errors.New("store device code: no free user code")
}

// newUserCode draws UserCodeLength characters of core.UserCodeAlphabet
// uniformly from the random source's tokens (base64url characters of
// value 60 and above are skipped, so every letter is equally likely).
func (g *Grant) newUserCode() string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	alphabet := core.UserCodeAlphabet
	var b strings.Builder
	for b.Len() < core.UserCodeLength {
		for _, c := range g.random.NewToken() {
			v := strings.IndexRune(b64, c)
			if v < 0 || v >= 60 {
				continue
			}
			b.WriteByte(alphabet[v%len(alphabet)])
			if b.Len() == core.UserCodeLength {
				break
			}
		}
	}
	return b.String()
}

// Polling errors of RFC 8628 §3.5.
var (
	errPending   = core.NewOAuthError("authorization_pending", "the person has not yet approved the request; poll again after the interval")
	errSlowDown  = core.NewOAuthError("slow_down", "polling too fast: the interval is now 5 seconds longer")
	errDenied    = core.NewOAuthError(core.CodeAccessDenied, "the person denied the request")
	errExpired   = core.NewOAuthError("expired_token", "the device code has expired; start a new device authorization")
	errBadCode   = core.NewOAuthError(core.CodeInvalidGrant, "the device code is invalid")
	errUsedCode  = core.NewOAuthError(core.CodeInvalidGrant, "the device code has already been used")
	errNoCode    = core.NewOAuthError(core.CodeInvalidRequest, "device_code is required")
	errNotClient = core.NewOAuthError(core.CodeInvalidGrant, "the device code was issued to another client")
)

// Token implements grants.Grant: the device access token request (RFC 8628
// §3.4, §3.5). The device code is redeemed at most once, also when polls
// race: the check and the change are one atomic update.
func (g *Grant) Token(ctx context.Context, r grants.Request) (core.TokenResponse, error) {
	raw := r.Params.Get("device_code")
	if raw == "" {
		return core.TokenResponse{}, errNoCode
	}
	now := g.clock.Now()
	var outcome error
	d, err := ports.FindHashed(g.hasher, raw, func(hash string) (core.DeviceCode, error) {
		return g.codes.UpdateDeviceCode(ctx, hash, func(d core.DeviceCode) (core.DeviceCode, error) {
			outcome = nil
			next, err := Poll(d, r.Client.ID, now)
			if err != nil && next.Status == "" {
				return d, err
			}
			outcome = err
			return next, nil
		})
	})
	switch {
	case errors.Is(err, core.ErrNotFound):
		return core.TokenResponse{}, errBadCode
	case err != nil:
		return core.TokenResponse{}, err
	case outcome != nil:
		return core.TokenResponse{}, outcome
	}
	return g.tokens.Issue(ctx, service.Grant{
		Client: r.Client, UserID: d.UserID, Scopes: d.Scopes, AuthTime: d.AuthTime,
		WithRefresh: r.Client.AllowsGrant(core.GrantRefreshToken), GrantType: core.GrantDeviceCode,
	})
}

// Poll is the rule of one poll by clientID at now (RFC 8628 §3.5). It
// returns the device authorization as it must be stored and the answer:
// nil when the tokens are to be issued (the code is then redeemed);
// authorization_pending or slow_down with the poll recorded; or, with a
// zero DeviceCode (nothing to store), invalid_grant, expired_token or
// access_denied.
func Poll(d core.DeviceCode, clientID string, now time.Time) (core.DeviceCode, error) {
	switch {
	case d.ClientID != clientID:
		return core.DeviceCode{}, errNotClient
	case d.Status == core.DeviceRedeemed:
		return core.DeviceCode{}, errUsedCode
	case !now.Before(d.ExpiresAt):
		return core.DeviceCode{}, errExpired
	case d.Status == core.DeviceDenied:
		return core.DeviceCode{}, errDenied
	case d.Status == core.DeviceApproved:
		d.Status, d.LastPolledAt = core.DeviceRedeemed, now
		return d, nil
	}
	// Pending. "slow_down: A variant of authorization_pending, the
	// authorization request is still pending and polling should continue,
	// but the interval MUST be increased by 5 seconds".
	tooSoon := !d.LastPolledAt.IsZero() && now.Sub(d.LastPolledAt) < d.Interval
	d.LastPolledAt = now
	if tooSoon {
		d.Interval += SlowDownStep
		return d, errSlowDown
	}
	return d, errPending
}
