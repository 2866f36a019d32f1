package integration_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants/authorizationcode"
	"github.com/identityd/identityd/grants/devicecode"
	"github.com/identityd/identityd/grants/tokenexchange"
)

// TestRemovingAGrantRemovesEveryTrace builds the server without one grant
// module at a time and checks that nothing of it is left: no metadata
// member or grant type, no endpoint, no client registration for it, and
// the token endpoint answers unsupported_grant_type. client_credentials
// and refresh_token are not removed here: the bootstrap clients are
// registered for them.
func TestRemovingAGrantRemovesEveryTrace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		give         fx.Option
		grantType    string
		wantGone     []string // paths answering 404
		wantNoMember []string // metadata members absent
	}{
		{"device_code", devicecode.Module, core.GrantDeviceCode, []string{"/oauth/device_authorization", "/device"}, []string{"device_authorization_endpoint"}},
		{"token_exchange", tokenexchange.Module, tokenexchange.GrantType, nil, nil},
		{"authorization_code", authorizationcode.Module, core.GrantAuthorizationCode, []string{"/oauth/authorize"}, []string{"authorization_endpoint", "code_challenge_methods_supported"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			modules := slices.DeleteFunc(slices.Clone(app.GrantModules), func(m fx.Option) bool { return fmt.Sprint(m) == fmt.Sprint(tt.give) })
			require.Len(t, modules, len(app.GrantModules)-1)
			s := apptest.StartWithGrants(t, nil, modules)

			md := decode[map[string]any](t, mustGet(t, s, "/.well-known/oauth-authorization-server", ""))
			assert.NotContains(t, md["grant_types_supported"], tt.grantType)
			for _, m := range tt.wantNoMember {
				assert.NotContains(t, md, m)
			}
			for _, path := range tt.wantGone {
				// Not through s.HTTP: the document describes the server
				// with every grant installed.
				resp, err := http.Get(s.URL + path)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
			}
			resp, body := s.Do(t, http.MethodPost, "/api/clients", s.AdminToken(t), map[string]any{
				"name": "x", "grant_types": []string{tt.grantType}, "redirect_uris": []string{callback},
			})
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			resp, body = s.PostForm(t, "/oauth/token", apptest.AdminClientID, apptest.AdminClientSecret, url.Values{"grant_type": {tt.grantType}})
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Equal(t, core.CodeUnsupportedGrantType, decode[map[string]any](t, body)["error"])
			tr := s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, "")
			assert.Equal(t, http.StatusOK, tr.Status, "the other grants work")
		})
	}
}
