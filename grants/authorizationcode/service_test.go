package authorizationcode_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/hashing"
	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/adapters/system"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/grants/authorizationcode"
	"github.com/identityd/identityd/service"
)

// RFC 7636 Appendix B.
const (
	verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	cb        = "https://web.example/cb"
)

// rig is the grant over the real authorization and token services on
// in-memory adapters.
type rig struct {
	grant  *authorizationcode.Grant
	tokens *service.Tokens
	store  *memory.Store
	hasher *hashing.HMAC
}

func newRig() rig {
	store, hasher := memory.NewStore(), hashing.NewHMAC([]byte("code-hash-key"))
	tokens := service.NewTokens(service.TokenConfig{Issuer: "https://id.example", AccessTTL: time.Minute, RefreshTTL: time.Hour},
		service.TokenDeps{Signer: jwt.NewHS256([]byte("0123456789abcdef0123456789abcdef")), Access: store, Refresh: store,
			Revoked: memory.NewRevocationCache(system.Clock{}), Hasher: hasher, Random: system.Random{}, Clock: system.Clock{}})
	codes := service.NewAuthorizations(time.Minute, service.AuthorizationDeps{Clients: store, Codes: store, Secrets: hasher,
		Random: system.Random{}, Clock: system.Clock{}, Tokens: tokens, Answers: memory.NewRateLimitStore()})
	return rig{grant: authorizationcode.NewWith(codes), tokens: tokens, store: store, hasher: hasher}
}

// code stores a code of client "web" for alice, issued for redirectURI
// ("" when the authorization request had none) with the PKCE challenge.
func (r rig) code(t *testing.T, raw, clientID, redirectURI string) {
	t.Helper()
	now := time.Now().UTC()
	require.NoError(t, r.store.CreateAuthCode(context.Background(), core.AuthCode{
		Hash: r.hasher.Hash(raw), ClientID: clientID, UserID: "alice", RedirectURI: redirectURI, Scopes: []string{"read"},
		CodeChallenge: challenge, CodeChallengeMethod: core.PKCEMethodS256, IssuedAt: now, ExpiresAt: now.Add(time.Minute),
	}))
}

func (r rig) redeem(c core.Client, p grants.Params) (core.TokenResponse, error) {
	return r.grant.Token(context.Background(), grants.Request{GrantType: core.GrantAuthorizationCode, Client: c, Params: p})
}

var web = core.Client{ID: "web", Public: true, RedirectURIs: []string{cb}, GrantTypes: []string{core.GrantAuthorizationCode}}

func TestRedeemRules(t *testing.T) {
	tests := []struct {
		name        string
		codeFor     string // the client the code was issued to
		codeURI     string // the authorization request's redirect_uri
		give        grants.Params
		wantErrCode string
	}{
		{"valid", "web", cb, grants.Params{"code": "c1", "redirect_uri": cb, "code_verifier": verifier}, ""},
		{"missing code", "web", cb, grants.Params{"redirect_uri": cb, "code_verifier": verifier}, core.CodeInvalidRequest},
		{"malformed code_verifier", "web", cb, grants.Params{"code": "c1", "redirect_uri": cb, "code_verifier": "short"}, core.CodeInvalidRequest},
		// The code is bound to a challenge: without its verifier it is not redeemable.
		{"missing code_verifier", "web", cb, grants.Params{"code": "c1", "redirect_uri": cb}, core.CodeInvalidGrant},
		{"wrong code_verifier", "web", cb, grants.Params{"code": "c1", "redirect_uri": cb, "code_verifier": verifier[:42] + "A"}, core.CodeInvalidGrant},
		{"unknown code", "web", cb, grants.Params{"code": "nope", "redirect_uri": cb, "code_verifier": verifier}, core.CodeInvalidGrant},
		{"a code of another client", "other", cb, grants.Params{"code": "c1", "redirect_uri": cb, "code_verifier": verifier}, core.CodeInvalidGrant},
		// RFC 6749 §4.1.3: redirect_uri is required, and identical, when the
		// authorization request included it.
		{"redirect_uri omitted though the request had one", "web", cb, grants.Params{"code": "c1", "code_verifier": verifier}, core.CodeInvalidGrant},
		{"redirect_uri differs", "web", cb, grants.Params{"code": "c1", "redirect_uri": cb + "/x", "code_verifier": verifier}, core.CodeInvalidGrant},
		{"request had none, none sent", "web", "", grants.Params{"code": "c1", "code_verifier": verifier}, ""},
		{"request had none, the one registered sent", "web", "", grants.Params{"code": "c1", "redirect_uri": cb, "code_verifier": verifier}, ""},
		{"request had none, an unregistered one sent", "web", "", grants.Params{"code": "c1", "redirect_uri": "https://evil.example/cb", "code_verifier": verifier}, core.CodeInvalidGrant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			r.code(t, "c1", tt.codeFor, tt.codeURI)
			got, err := r.redeem(web, tt.give)
			if tt.wantErrCode == "" {
				require.NoError(t, err)
				assert.NotEmpty(t, got.AccessToken)
				assert.Equal(t, "read", got.Scope, "the code's scope")
				return
			}
			var oe *core.OAuthError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tt.wantErrCode, oe.Code)
			assert.Empty(t, got.AccessToken)
		})
	}
}

// RFC 6749 §4.1.2: a second redemption is invalid_grant and revokes the
// tokens the first one issued.
func TestSecondRedemption(t *testing.T) {
	r := newRig()
	r.code(t, "c1", "web", cb)
	p := grants.Params{"code": "c1", "redirect_uri": cb, "code_verifier": verifier}
	first, err := r.redeem(web, p)
	require.NoError(t, err)
	_, err = r.tokens.Validate(context.Background(), first.AccessToken)
	require.NoError(t, err)

	again, err := r.redeem(web, p)
	var oe *core.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, core.CodeInvalidGrant, oe.Code)
	assert.Empty(t, again.AccessToken)
	_, err = r.tokens.Validate(context.Background(), first.AccessToken)
	assert.Error(t, err, "the first redemption's access token is revoked")
}
