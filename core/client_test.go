package core_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

func TestValidateRedirectURI(t *testing.T) {
	tests := []struct {
		give string
		ok   bool
	}{
		{"https://app.example.com/cb", true},
		{"https://app.example.com/cb?x=1", true},
		{"http://127.0.0.1:8765/cb", true},
		{"http://[::1]/cb", true},
		{"http://localhost:3000/cb", true},
		{"http://app.example.com/cb", false},
		{"https://app.example.com/cb#frag", false},
		{"/relative/cb", false},
		{"https://user:pw@app.example.com/cb", false},
		{"javascript:alert(1)", false},
		{"custom.scheme:/cb", false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			err := core.ValidateRedirectURI(tt.give)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func TestMatchRedirectURI(t *testing.T) {
	tests := []struct {
		name       string
		registered string
		given      string
		want       bool
	}{
		{"exact", "https://a.example/cb", "https://a.example/cb", true},
		{"trailing slash differs", "https://a.example/cb", "https://a.example/cb/", false},
		{"case differs", "https://a.example/cb", "https://A.example/cb", false},
		{"extra query", "https://a.example/cb", "https://a.example/cb?x=1", false},
		{"loopback port may vary", "http://127.0.0.1/cb", "http://127.0.0.1:53412/cb", true},
		{"loopback path must match", "http://127.0.0.1/cb", "http://127.0.0.1:53412/other", false},
		{"localhost name port is exact", "http://localhost:3000/cb", "http://localhost:3001/cb", false},
		{"https port exact", "https://a.example:8443/cb", "https://a.example:9443/cb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, core.MatchRedirectURI(tt.registered, tt.given))
		})
	}
}

func TestValidateClient(t *testing.T) {
	known := func(g string) bool { return g == core.GrantClientCredentials || g == core.GrantAuthorizationCode }
	valid := core.Client{ID: "svc", Name: "Service", GrantTypes: []string{core.GrantClientCredentials}, Scopes: []string{"a"}}
	require.NoError(t, core.ValidateClient(valid, known))

	tests := []struct {
		name      string
		change    func(*core.Client)
		wantField string
	}{
		{"bad id", func(c *core.Client) { c.ID = "has space" }, "client_id"},
		{"no name", func(c *core.Client) { c.Name = "" }, "name"},
		{"no grant", func(c *core.Client) { c.GrantTypes = nil }, "grant_types"},
		{"unknown grant", func(c *core.Client) { c.GrantTypes = []string{"password"} }, "grant_types"},
		{"public with client_credentials", func(c *core.Client) { c.Public = true }, "grant_types"},
		{"code without redirect", func(c *core.Client) { c.GrantTypes = []string{core.GrantAuthorizationCode} }, "redirect_uris"},
		{"bad redirect", func(c *core.Client) { c.RedirectURIs = []string{"http://evil.example/cb"} }, "redirect_uris"},
		{"bad scope", func(c *core.Client) { c.Scopes = []string{"a b"} }, "scopes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.change(&c)
			var ve *core.ValidationError
			require.ErrorAs(t, core.ValidateClient(c, known), &ve)
			assert.Contains(t, ve.Fields, tt.wantField)
		})
	}
	assert.True(t, valid.AllowsGrant(core.GrantClientCredentials))
	assert.False(t, valid.AllowsGrant(core.GrantRefreshToken))
}
