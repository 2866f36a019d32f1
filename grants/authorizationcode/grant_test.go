package authorizationcode_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/grants/authorizationcode"
)

type redemption struct {
	client                      core.Client
	code, redirectURI, verifier string
}

// redeemer records what the grant asks the authorization service to
// redeem.
type redeemer struct {
	got   []redemption
	reply core.TokenResponse
	err   error
}

func (f *redeemer) Redeem(_ context.Context, client core.Client, code, redirectURI, verifier string) (core.TokenResponse, error) {
	f.got = append(f.got, redemption{client, code, redirectURI, verifier})
	return f.reply, f.err
}

var client = core.Client{ID: "web", Public: true, GrantTypes: []string{core.GrantAuthorizationCode}}

func TestDeclarations(t *testing.T) {
	g := authorizationcode.NewWith(&redeemer{})
	assert.Equal(t, core.GrantAuthorizationCode, g.GrantType())
	assert.False(t, g.RequiresClientAuth(), "a public client redeems with PKCE (RFC 7636)")
	assert.Equal(t, grants.ScopeFromGrant, g.ScopePolicy(), "the scope is the code's (RFC 6749 §4.1.3 has none)")

	c := g.Contribute()
	require.Len(t, c.Endpoints, 1)
	e := c.Endpoints[0]
	assert.Equal(t, "/oauth/authorize", e.Path)
	assert.Equal(t, "authorization_endpoint", e.MetadataName)
	assert.Equal(t, grants.FlowAuthorize, e.Flow)
	assert.True(t, e.NeedsSession(), "the authorization endpoint signs the person in")
	assert.Equal(t, []string{"code"}, c.Metadata["response_types_supported"])
	assert.Equal(t, []string{core.PKCEMethodS256}, c.Metadata["code_challenge_methods_supported"], "S256 only, never plain (RFC 9700 §2.1.1)")
	assert.Equal(t, true, c.Metadata["authorization_response_iss_parameter_supported"], "RFC 9207")
}

func TestTokenRedeems(t *testing.T) {
	tests := []struct {
		name string
		give grants.Params
		want redemption
	}{
		{"code, redirect_uri and verifier each in its place",
			grants.Params{"code": "the-code", "redirect_uri": "https://web.example/cb", "code_verifier": "the-verifier"},
			redemption{client, "the-code", "https://web.example/cb", "the-verifier"}},
		// §4.1.3: redirect_uri is required only when the authorization
		// request had one; the redemption decides, so absence is passed on
		// as "" rather than refused or filled in here.
		{"redirect_uri absent", grants.Params{"code": "the-code", "code_verifier": "the-verifier"},
			redemption{client, "the-code", "", "the-verifier"}},
		// Missing code and verifier are the redemption's to refuse
		// (invalid_request / invalid_grant against the code's challenge).
		{"nothing sent", grants.Params{}, redemption{client, "", "", ""}},
		{"a scope parameter is not the grant's", grants.Params{"code": "c", "scope": "admin"}, redemption{client, "c", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &redeemer{reply: core.TokenResponse{AccessToken: "at"}}
			got, err := authorizationcode.NewWith(f).Token(context.Background(), grants.Request{
				GrantType: core.GrantAuthorizationCode, Client: client, Params: tt.give,
			})
			require.NoError(t, err)
			assert.Equal(t, "at", got.AccessToken)
			require.Len(t, f.got, 1)
			assert.Equal(t, tt.want, f.got[0], "the presenting client, so a code of another client is refused")
		})
	}
}

func TestTokenPassesRefusalThrough(t *testing.T) {
	for _, refusal := range []error{
		core.NewOAuthError(core.CodeInvalidRequest, "code is required"),
		core.NewOAuthError(core.CodeInvalidGrant, "the authorization code is invalid"),
		core.ErrCodeReused,
	} {
		f := &redeemer{err: refusal}
		got, err := authorizationcode.NewWith(f).Token(context.Background(), grants.Request{
			GrantType: core.GrantAuthorizationCode, Client: client, Params: grants.Params{"code": "c"},
		})
		assert.True(t, errors.Is(err, refusal), err)
		assert.Empty(t, got.AccessToken)
	}
}
