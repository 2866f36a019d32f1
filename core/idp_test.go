package core_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
)

// No upstream claim alone signs anyone in to an existing account: only
// link_by_email with a verified address, and then only after the person's
// own sign-in (LinkAfterProof).
func TestDecideLink(t *testing.T) {
	t.Parallel()
	on, off := core.IdentityProvider{LinkByEmail: true}, core.IdentityProvider{}
	verified := core.UpstreamIdentity{Email: "a@example.com", EmailVerified: true}
	unverified := core.UpstreamIdentity{Email: "a@example.com"}
	tests := []struct {
		name  string
		p     core.IdentityProvider
		id    core.UpstreamIdentity
		taken bool
		want  core.LinkDecision
	}{
		{"new address", off, unverified, false, core.LinkCreate},
		{"no address", on, core.UpstreamIdentity{}, false, core.LinkRefusedNoEmail},
		{"taken, linking off", off, verified, true, core.LinkRefusedNotAllowed},
		{"taken, unverified", on, unverified, true, core.LinkRefusedUnverified},
		{"taken, verified, linking on", on, verified, true, core.LinkAfterProof},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, core.DecideLink(tt.p, tt.id, tt.taken))
		})
	}
}

func TestIdentityProviderRules(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{"entra": true, "g1": true, "a": false, "Entra": false, "a_b": false, "abcdefghijabcdefghijabcdefghijab": true, "abcdefghijabcdefghijabcdefghijabc": false} {
		assert.Equal(t, ok, core.ValidIdentityProviderID(id), id)
	}
	for iss, ok := range map[string]bool{
		"https://accounts.google.com": true, "http://127.0.0.1:8080": true, "http://localhost:1": true, "http://[::1]:2": true,
		"http://id.example.com": false, "ftp://id.example.com": false, "https://id.example.com?x": false, "https://id.example.com#f": false,
		"https://user@id.example.com": false, "id.example.com": false, "": false,
	} {
		assert.Equal(t, ok, core.ValidateIssuerURL(iss) == "", iss)
	}
	assert.Equal(t, "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", core.EntraIssuerFor("9188040D-6c67-4c5b-b112-36a304b66dad"))
	assert.Empty(t, core.EntraIssuerFor("common"), "only a tenant id fills the template")
	assert.Empty(t, core.EntraIssuerFor("../evil"))
	assert.True(t, core.IsEntraID(core.EntraMultiTenantIssuer))
	assert.False(t, core.IsEntraID("https://accounts.google.com"))

	entra := core.IdentityProvider{Issuer: core.EntraMultiTenantIssuer}
	google := core.IdentityProvider{Issuer: "https://accounts.google.com"}
	assert.True(t, google.AcceptsResponseIssuer(""), "RFC 9207 iss is optional")
	assert.True(t, google.AcceptsResponseIssuer("https://accounts.google.com"))
	assert.False(t, google.AcceptsResponseIssuer("https://evil.example"), "mix-up")
	assert.True(t, entra.AcceptsResponseIssuer("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"))
	assert.False(t, entra.AcceptsResponseIssuer("https://login.microsoftonline.com/evil/v2.0"))
	assert.False(t, entra.AcceptsResponseIssuer("https://evil.example/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"))
	assert.Equal(t, []string{"openid", "email"}, core.IdentityProvider{Scopes: []string{"openid", "email", "email"}}.UpstreamScopes())
}
