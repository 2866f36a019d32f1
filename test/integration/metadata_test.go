package integration_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// RFC 8414 §2 and RFC 9207 §3: the metadata lists exactly what the server
// does. scopes_supported is compared with the scopes the server actually
// holds (GET /api/scopes, without the management scopes, which only
// operators are given) and offline_access, never with a fixed list.
func TestMetadataListsWhatTheServerSupports(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	admin := s.AdminToken(t)
	meta := func() map[string]any {
		return decode[map[string]any](t, mustGet(t, s.Server, "/.well-known/oauth-authorization-server", ""))
	}
	registered := func() []any {
		var names []string
		cursor := ""
		for {
			path := "/api/scopes?limit=200"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			page := decode[struct {
				Items []struct {
					Name string `json:"name"`
				} `json:"items"`
				NextCursor *string `json:"next_cursor"`
			}](t, mustGet(t, s.Server, path, admin))
			for _, it := range page.Items {
				if !slices.Contains(core.ManagementScopes(), it.Name) {
					names = append(names, it.Name)
				}
			}
			if page.NextCursor == nil || *page.NextCursor == "" {
				break
			}
			cursor = *page.NextCursor
		}
		// offline_access is understood (OpenID Connect Core §11) without
		// being a scope of the catalogue.
		names = append(names, core.ScopeOfflineAccess)
		slices.Sort(names)
		out := []any{}
		for _, n := range names {
			out = append(out, n)
		}
		return out
	}

	m := meta()
	assert.Equal(t, registered(), m["scopes_supported"])
	assert.Equal(t, true, m["authorization_response_iss_parameter_supported"])
	for _, sc := range core.ManagementScopes() {
		assert.NotContains(t, m["scopes_supported"], sc, "management scopes are not advertised")
	}

	t.Run("a new scope shows within the cache interval", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/scopes", admin, map[string]string{"name": "zz-reports:read", "description": "Read reports"})
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
		s.Clock.Advance(31 * time.Second)
		m := meta()
		assert.Contains(t, m["scopes_supported"], "zz-reports:read")
		assert.Equal(t, registered(), m["scopes_supported"])
	})

	t.Run("every grant type listed is served, and no other", func(t *testing.T) {
		id, secret := newServiceClient(t, s.Server)
		listed := m["grant_types_supported"].([]any)
		require.NotEmpty(t, listed)
		for _, gt := range listed {
			resp, body := s.PostForm(t, "/oauth/token", id, secret, url.Values{"grant_type": {gt.(string)}})
			assert.NotEqual(t, "unsupported_grant_type", decode[errBody](t, body).Error, "%s is listed: %d", gt, resp.StatusCode)
		}
		for _, gt := range []string{"password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:saml2-bearer"} {
			if slices.Contains(listed, any(gt)) {
				continue
			}
			_, body := s.PostForm(t, "/oauth/token", id, secret, url.Values{"grant_type": {gt}})
			assert.Equal(t, "unsupported_grant_type", decode[errBody](t, body).Error, "%s is not listed", gt)
		}
	})

	t.Run("response types and PKCE methods", func(t *testing.T) {
		assert.Equal(t, []any{"code"}, m["response_types_supported"])
		assert.Equal(t, []any{"S256"}, m["code_challenge_methods_supported"])
		c := newWebClient(t, s.Server, false, false, nil, "photos:read")
		p := newPKCE()
		b := apptest.NewBrowser(t, s.URL)
		for _, tt := range []struct{ responseType, method, wantError string }{
			{"token", "S256", "unsupported_response_type"},
			{"id_token", "S256", "unsupported_response_type"},
			{"code", "plain", "invalid_request"},
		} {
			params := codeParams(c, p, "")
			params["response_type"], params["code_challenge_method"] = tt.responseType, tt.method
			page := b.Open(authorizeURL(s.Server, params))
			require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
			assert.Equal(t, tt.wantError, page.Left.Query().Get("error"))
			assert.Equal(t, s.Config.IssuerURL, page.Left.Query().Get("iss"))
		}
	})
}
