// Package granttest is the acceptance kit every grant module runs: a
// grant's test starts a server with the module installed (apptest.Start
// with the module among the app's grant modules or as an extra option)
// and calls Run with a Harness that knows how to make one valid token
// request for the grant. Run checks what every grant must do at the token
// endpoint: refuse an unauthenticated client and a client not registered
// for the grant, never widen the scope, answer errors in the RFC 6749
// §5.2 shape, record exactly one token.issued audit event per issuance,
// never log a secret, and, for one-time inputs, issue once under
// concurrent use.
package granttest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// Client is a client registered for the grant under test.
type Client struct {
	ID, Secret string
	// Scopes are the scopes the client holds.
	Scopes []string
}

// Harness is what Run needs to know about a grant.
type Harness struct {
	Server    *apptest.Server
	GrantType string
	// Client is a client registered for the grant.
	Client Client
	// Other is a confidential client not registered for the grant.
	Other Client
	// NewRequest returns the grant's own parameters of a valid token
	// request by Client (grant_type and client authentication are added
	// by Run); one-time inputs are fresh on every call.
	NewRequest func(t *testing.T) url.Values
	// OneTime reports whether NewRequest's inputs are single-use.
	OneTime bool
	// AuditCount returns how many events of a type are recorded so far.
	AuditCount func(t *testing.T, eventType string) int
}

// Response is a token endpoint answer.
type Response struct {
	Status       int
	Header       http.Header
	Body         map[string]any
	AccessToken  string
	RefreshToken string
}

// Post sends a token request for c with form, authenticating as a
// confidential client with Basic or a public one with client_id.
func (h Harness) Post(t *testing.T, c Client, form url.Values) Response {
	t.Helper()
	form = cloneValues(form)
	form.Set("grant_type", h.GrantType)
	id, secret := c.ID, c.Secret
	if secret == "" && id != "" {
		form.Set("client_id", id)
		id = ""
	}
	resp, body := h.Server.PostForm(t, "/oauth/token", id, secret, form)
	var out Response
	out.Status, out.Header = resp.StatusCode, resp.Header
	require.NoError(t, json.Unmarshal(body, &out.Body), string(body))
	out.AccessToken, _ = out.Body["access_token"].(string)
	out.RefreshToken, _ = out.Body["refresh_token"].(string)
	return out
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// assertOAuthError checks the RFC 6749 §5.2 shape of an error response.
func assertOAuthError(t *testing.T, r Response, status int, code string) {
	t.Helper()
	assert.Equal(t, status, r.Status, r.Body)
	assert.Equal(t, code, r.Body["error"])
	desc, _ := r.Body["error_description"].(string)
	assert.NotEmpty(t, desc)
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	assert.Contains(t, r.Header.Get("Content-Type"), "application/json")
	assert.Empty(t, r.AccessToken)
}

// Run runs the kit.
func Run(t *testing.T, h Harness) {
	t.Run("issues to a registered client, one audit event", func(t *testing.T) {
		form := h.NewRequest(t)
		before := h.AuditCount(t, core.AuditTokenIssued)
		r := h.Post(t, h.Client, form)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.NotEmpty(t, r.AccessToken)
		assert.Equal(t, "Bearer", r.Body["token_type"])
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		assert.Equal(t, 1, h.AuditCount(t, core.AuditTokenIssued)-before, "exactly one token.issued")
		scope, _ := r.Body["scope"].(string)
		for _, s := range strings.Fields(scope) {
			assert.Contains(t, h.Client.Scopes, s, "never a scope the client does not hold")
		}
		logs := h.Server.Logs()
		for _, secret := range []string{r.AccessToken, r.RefreshToken, h.Client.Secret} {
			if secret != "" {
				assert.NotContains(t, logs, secret, "a secret in the log")
			}
		}
		for _, v := range form {
			if len(v[0]) >= 20 {
				assert.NotContains(t, logs, v[0], "a grant input in the log")
			}
		}
	})
	t.Run("refuses an unauthenticated client", func(t *testing.T) {
		form := h.NewRequest(t)
		r := h.Post(t, Client{}, form)
		assertOAuthError(t, r, http.StatusUnauthorized, core.CodeInvalidClient)
		wrong := Client{ID: h.Client.ID, Secret: "wrong-secret-wrong-secret-wrong-secret"}
		r = h.Post(t, wrong, form)
		assertOAuthError(t, r, http.StatusUnauthorized, core.CodeInvalidClient)
	})
	t.Run("refuses a client not registered for the grant", func(t *testing.T) {
		r := h.Post(t, h.Other, h.NewRequest(t))
		assertOAuthError(t, r, http.StatusBadRequest, core.CodeUnauthorizedClient)
	})
	t.Run("never widens the scope", func(t *testing.T) {
		form := h.NewRequest(t)
		form.Set("scope", "granttest:not-held")
		r := h.Post(t, h.Client, form)
		assertOAuthError(t, r, http.StatusBadRequest, core.CodeInvalidScope)
	})
	if !h.OneTime {
		return
	}
	t.Run("one-time inputs issue once under concurrent use", func(t *testing.T) {
		form := h.NewRequest(t)
		before := h.AuditCount(t, core.AuditTokenIssued)
		var mu sync.Mutex
		ok := 0
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := h.Post(t, h.Client, form)
				mu.Lock()
				defer mu.Unlock()
				if r.Status == http.StatusOK {
					ok++
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, 1, ok)
		assert.Equal(t, 1, h.AuditCount(t, core.AuditTokenIssued)-before)
	})
}
