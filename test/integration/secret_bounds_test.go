package integration_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// retiredSecret is the JWT_SECRET an operator moved to JWT_SECRET_PREVIOUS.
const retiredSecret = "Retired-JWT-Secret-0123456789-abcdef!"

// mint signs an access token of the bootstrap client with secret, as
// anyone holding it could.
func mint(t *testing.T, s *apptest.Server, secret string, iat time.Time, lifetime time.Duration) string {
	t.Helper()
	raw, err := jwt.NewHS256([]byte(secret)).Sign(context.Background(), core.AccessToken{
		JTI: "forged-" + iat.Format(time.RFC3339Nano) + lifetime.String(), Issuer: s.Config.IssuerURL, Subject: apptest.AdminClientID,
		Audience: []string{s.Config.IssuerURL}, ClientID: apptest.AdminClientID,
		Scopes: []string{"clients:read", "clients:write", "clients:admin"}, IssuedAt: iat, ExpiresAt: iat.Add(lifetime),
	})
	require.NoError(t, err)
	return raw
}

// accepted asks the management API and the introspection endpoint about
// raw and checks that both agree.
func accepted(t *testing.T, s *apptest.Server, raw string) bool {
	t.Helper()
	resp, _ := s.Do(t, http.MethodGet, "/api/clients", raw, nil)
	introResp, body := s.PostForm(t, "/oauth/introspect", apptest.AdminClientID, apptest.AdminClientSecret, url.Values{"token": {raw}})
	require.Equal(t, http.StatusOK, introResp.StatusCode, string(body))
	var intro struct {
		Active bool `json:"active"`
	}
	require.NoError(t, json.Unmarshal(body, &intro))
	require.Contains(t, []int{http.StatusOK, http.StatusUnauthorized}, resp.StatusCode)
	assert.Equal(t, resp.StatusCode == http.StatusOK, intro.Active, "the API and introspection agree")
	return resp.StatusCode == http.StatusOK
}

// Issue 24 §8: a secret retired to JWT_SECRET_PREVIOUS verifies only what
// it could have signed before this server switched to the new one, and no
// access token lives longer than TOKEN_EXPIRY, under any secret.
func TestRetiredSecretAndTokenLifetimeAreBounded(t *testing.T) {
	t.Parallel()
	beforeSwitch := time.Now().UTC().Add(-time.Minute)
	s := apptest.Start(t, map[string]string{"JWT_SECRET_PREVIOUS": retiredSecret, "TOKEN_EXPIRY": "15m"})
	s.Clock.Advance(time.Minute) // the requests below come after the switch
	now := s.Clock.Now()

	tests := []struct {
		name     string
		secret   string
		iat      time.Time
		lifetime time.Duration
		want     bool
	}{
		{"previous secret, signed before the switch", retiredSecret, beforeSwitch, 15 * time.Minute, true},
		{"previous secret, signed after the switch with a year's exp (the issue's example)", retiredSecret, now, 365 * 24 * time.Hour, false},
		{"previous secret, signed after the switch with a short exp", retiredSecret, now, 5 * time.Minute, false},
		{"previous secret, signed before the switch with a long exp", retiredSecret, beforeSwitch, 2 * time.Hour, false},
		{"current secret, a year's exp", apptest.JWTSecret, now, 365 * 24 * time.Hour, false},
		{"current secret, one second over TOKEN_EXPIRY", apptest.JWTSecret, now, 15*time.Minute + time.Second, false},
		{"current secret, exactly TOKEN_EXPIRY", apptest.JWTSecret, now, 15 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, accepted(t, s, mint(t, s, tt.secret, tt.iat, tt.lifetime)))
		})
	}
	// What the server itself issues stays valid.
	assert.True(t, accepted(t, s, s.AdminToken(t)))
}
