package integration_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	httpadapter "github.com/identityd/identityd/adapters/http"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// tokenKind is a token of one kind of client and scope set, with what the
// table test expects of it.
type tokenKind struct {
	name string
	// person: issued to a person; firstParty: by identity-web or a
	// first-party client; scopes: what it holds.
	person, firstParty bool
	scopes             []string
	token              string
}

// allows is what the access rule should decide for k, stated apart from
// the implementation.
func (k tokenKind) allows(a httpadapter.Access) bool {
	switch {
	case a.Public:
		return true
	case a.Account:
		return k.person && (k.firstParty || slices.Contains(k.scopes, core.ScopeAccount))
	default:
		return slices.Contains(k.scopes, a.Scope)
	}
}

// apiRoutes walks the router for every /api/* route, as "METHOD template".
func apiRoutes(t *testing.T, h *httpadapter.Handler) []string {
	t.Helper()
	var out []string
	require.NoError(t, h.Router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil || !strings.HasPrefix(tpl, "/api/") {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // the /api prefix itself
		}
		for _, m := range methods {
			out = append(out, m+" "+tpl)
		}
		return nil
	}))
	slices.Sort(out)
	// Signing out revokes the token used: last.
	if i := slices.Index(out, "POST /api/auth/logout"); i >= 0 {
		out = append(slices.Delete(out, i, i+1), "POST /api/auth/logout")
	}
	return out
}

// Issue 24 §2: every /api/* endpoint states which clients and scopes may
// call it (httpadapter.APIAccess); this walks every registered route, so a
// new one without a rule fails here, with a token of every client kind.
func TestAPIAccessTable(t *testing.T) {
	t.Parallel()
	var h *httpadapter.Handler
	s := startPeople(t, map[string]string{"RATE_LIMIT_ENABLED": "false"}, fx.Populate(&h))
	admin := s.AdminToken(t)
	register(t, s.Server, "reader@example.com", userPassword)

	codeToken := func(c webClient, scope string) string {
		b := apptest.NewBrowser(t, s.URL)
		code := authorize(t, s.Server, b, codeParams(c, pkce{}, scope), "reader@example.com", userPassword)
		tr := exchange(t, s.Server, c, code, callback, "")
		require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
		return tr.AccessToken
	}
	third := newWebClient(t, s.Server, false, false, nil, "openid", core.ScopeAccount)
	first := newWebClient(t, s.Server, false, true, nil, "openid")
	svcID, svcSecret := newServiceClient(t, s.Server)
	exchanger := newClient(t, s.Server, false, false, []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}, "openid")
	dev := newClient(t, s.Server, false, false, []string{core.GrantDeviceCode}, "openid")

	kinds := []tokenKind{
		{name: "identity-web", person: true, firstParty: true, token: login(t, s.Server, "reader@example.com", userPassword).AccessToken},
		{name: "identity-web admin", person: true, firstParty: true, scopes: core.ManagementScopes(), token: login(t, s.Server, adminEmail, adminPassword).AccessToken},
		{name: "first-party openid", person: true, firstParty: true, scopes: []string{"openid"}, token: codeToken(first, "openid")},
		{name: "third-party openid", person: true, scopes: []string{"openid"}, token: codeToken(third, "openid")},
		{name: "third-party account", person: true, scopes: []string{"openid", core.ScopeAccount}, token: codeToken(third, "openid "+core.ScopeAccount)},
		{name: "client_credentials management", scopes: core.ManagementScopes(), token: admin},
		{name: "client_credentials plain", token: s.ClientCredentials(t, svcID, svcSecret, "").AccessToken},
	}
	status, da := startDevice(t, s.Server, dev, "openid")
	require.Equal(t, http.StatusOK, status)
	verifyDevice(t, s.Server, apptest.NewBrowser(t, s.URL), da, "reader@example.com", userPassword, "approve")
	devTok := pollDevice(t, s.Server, dev, da.DeviceCode)
	require.Equal(t, http.StatusOK, devTok.Status, devTok.ErrorDescription)
	kinds = append(kinds, tokenKind{name: "device third-party", person: true, scopes: []string{"openid"}, token: devTok.AccessToken})
	ex := tokenExchange(t, s.Server, exchanger, url.Values{"subject_token": {kinds[3].token}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}})
	require.Equal(t, http.StatusOK, ex.Status, ex.ErrorDescription)
	kinds = append(kinds, tokenKind{name: "token exchange third-party", person: true, scopes: []string{"openid"}, token: ex.AccessToken})

	routes := apiRoutes(t, h)
	require.NotEmpty(t, routes)
	for _, named := range httpadapter.APIAccessRoutes() {
		assert.Contains(t, routes, named, "adapters/http/apiaccess.go names a route that is not registered")
	}
	for _, route := range routes {
		rule, ok := httpadapter.APIAccess(route)
		if !assert.True(t, ok, "%s states no access rule in adapters/http/apiaccess.go", route) {
			continue
		}
		method, tpl, _ := strings.Cut(route, " ")
		path := strings.NewReplacer("{id}", "00000000-0000-4000-8000-000000000000", "{client_id}", "no-such-client",
			"{session_id}", "00000000-0000-4000-8000-000000000000").Replace(tpl)
		for _, k := range append([]tokenKind{{name: "no token"}}, kinds...) {
			t.Run(route+"/"+k.name, func(t *testing.T) {
				// A body no handler accepts: an allowed call changes nothing.
				resp, body := s.Do(t, method, path, k.token, `{"unknown_field_for_the_access_test":1}`)
				denied := resp.StatusCode == http.StatusUnauthorized ||
					resp.StatusCode == http.StatusForbidden && decode[errBody](t, body).Error == core.CodeInsufficientScope
				want := k.allows(rule) && (k.token != "" || rule.Public)
				assert.Equal(t, !want, denied, "%s with %s (%s): %d %s", route, k.name, rule, resp.StatusCode, body)
			})
		}
	}
}
