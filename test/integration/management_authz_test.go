package integration_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// managementFixture creates, as the bootstrap admin, the things one call of
// the table acts on.
type managementFixture struct {
	t     *testing.T
	s     *apptest.Server
	admin string
	n     *atomic.Int64
	// self is the calling client's own id.
	self string
}

func (f managementFixture) unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, f.n.Add(1))
}

// client creates a client with the given scopes and first-party flag and
// returns its id.
func (f managementFixture) client(firstParty bool, scopes ...string) string {
	f.t.Helper()
	resp, body := f.s.Do(f.t, http.MethodPost, "/api/clients", f.admin, map[string]any{
		"name": "target", "grant_types": []string{"client_credentials", "authorization_code"}, "scopes": nonNilStrings(scopes),
		"redirect_uris": []string{"https://app.example/cb"}, "first_party": firstParty,
	})
	require.Equal(f.t, http.StatusCreated, resp.StatusCode, string(body))
	return decode[map[string]any](f.t, body)["client_id"].(string)
}

// scope creates a scope and returns its id.
func (f managementFixture) scope() string {
	f.t.Helper()
	resp, body := f.s.Do(f.t, http.MethodPost, "/api/scopes", f.admin, map[string]string{"name": f.unique("custom:")})
	require.Equal(f.t, http.StatusCreated, resp.StatusCode, string(body))
	return decode[map[string]any](f.t, body)["id"].(string)
}

// scopeID finds the id of a scope by name.
func (f managementFixture) scopeID(name string) string {
	f.t.Helper()
	cursor := ""
	for {
		resp, body := f.s.Do(f.t, http.MethodGet, "/api/scopes?limit=100&cursor="+url.QueryEscape(cursor), f.admin, nil)
		require.Equal(f.t, http.StatusOK, resp.StatusCode, string(body))
		page := decode[struct {
			Items      []struct{ ID, Name string }
			NextCursor string `json:"next_cursor"`
		}](f.t, body)
		for _, it := range page.Items {
			if it.Name == name {
				return it.ID
			}
		}
		if page.NextCursor == "" {
			f.t.Fatalf("no scope %s", name)
			return ""
		}
		cursor = page.NextCursor
	}
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func clientBody(scopes []string, firstParty bool, redirect string) map[string]any {
	return map[string]any{
		"name": "changed", "grant_types": []string{"client_credentials", "authorization_code"}, "scopes": nonNilStrings(scopes),
		"redirect_uris": []string{redirect}, "first_party": firstParty,
	}
}

// managementCall is one call of the management API: how to make it, and
// the scopes a caller needs for it to succeed ("never": nobody).
type managementCall struct {
	name   string
	method string
	path   func(f managementFixture) string
	body   func(f managementFixture) any
	needs  string
	wantOK int
}

const never = "never"

func fixed(p string) func(managementFixture) string {
	return func(managementFixture) string { return p }
}

func noBody(managementFixture) any { return nil }

// managementCalls is every management endpoint, with the bodies and
// targets that the escalation rules of contract §3 tell apart.
func managementCalls() []managementCall {
	plainClient := func(f managementFixture) string { return "/api/clients/" + f.client(false) }
	newClient := func(scopes []string, firstParty bool) func(managementFixture) any {
		return func(managementFixture) any { return clientBody(scopes, firstParty, "https://app.example/cb") }
	}
	return []managementCall{
		{"list scopes", http.MethodGet, fixed("/api/scopes"), noBody, "scopes:read", 200},
		{"get a scope", http.MethodGet, func(f managementFixture) string { return "/api/scopes/" + f.scope() }, noBody, "scopes:read", 200},
		{"create a scope", http.MethodPost, fixed("/api/scopes"), func(f managementFixture) any { return map[string]string{"name": f.unique("made:")} }, "scopes:write", 201},
		{"update a scope", http.MethodPut, func(f managementFixture) string { return "/api/scopes/" + f.scope() }, func(f managementFixture) any { return map[string]string{"name": f.unique("renamed:")} }, "scopes:write", 200},
		{"delete a scope", http.MethodDelete, func(f managementFixture) string { return "/api/scopes/" + f.scope() }, noBody, "scopes:write", 204},
		{"create a scope in the management namespace", http.MethodPost, fixed("/api/scopes"), func(f managementFixture) any { return map[string]string{"name": f.unique("clients:root")} }, never, 0},
		{"update a management scope", http.MethodPut, func(f managementFixture) string { return "/api/scopes/" + f.scopeID(core.ScopeClientsAdmin) }, func(managementFixture) any {
			return map[string]string{"name": core.ScopeClientsAdmin, "description": "mine"}
		}, never, 0},
		{"delete a management scope", http.MethodDelete, func(f managementFixture) string { return "/api/scopes/" + f.scopeID(core.ScopeScopesRead) }, noBody, never, 0},

		{"list clients", http.MethodGet, fixed("/api/clients"), noBody, "clients:read", 200},
		{"get a client", http.MethodGet, plainClient, noBody, "clients:read", 200},
		{"create a client", http.MethodPost, fixed("/api/clients"), newClient(nil, false), "clients:write", 201},
		{"create a client holding scopes:write", http.MethodPost, fixed("/api/clients"), newClient([]string{"scopes:write"}, false), "clients:write clients:admin scopes:write", 201},
		{"create a client holding clients:read", http.MethodPost, fixed("/api/clients"), newClient([]string{"clients:read"}, false), "clients:write clients:admin clients:read", 201},
		{"create a client holding clients:admin", http.MethodPost, fixed("/api/clients"), newClient([]string{"clients:admin"}, false), "clients:write clients:admin", 201},
		{"create a first-party client", http.MethodPost, fixed("/api/clients"), newClient(nil, true), "clients:write clients:admin", 201},
		{"update a client", http.MethodPut, plainClient, newClient(nil, false), "clients:write", 200},
		{"give a client clients:write", http.MethodPut, plainClient, newClient([]string{"clients:write"}, false), "clients:write clients:admin", 200},
		{"give itself scopes:write and clients:read", http.MethodPut, func(f managementFixture) string { return "/api/clients/" + f.self }, func(f managementFixture) any {
			return clientBody([]string{"scopes:write", "clients:read"}, false, "https://app.example/cb")
		}, "clients:write clients:admin scopes:write clients:read", 200},
		{"make a client first-party", http.MethodPut, plainClient, newClient(nil, true), "clients:write clients:admin", 200},
		{"point a first-party client elsewhere", http.MethodPut, func(f managementFixture) string { return "/api/clients/" + f.client(true) }, func(managementFixture) any {
			return clientBody(nil, false, "https://evil.example/cb")
		}, "clients:write clients:admin", 200},
		{"rename a client holding clients:read", http.MethodPut, func(f managementFixture) string { return "/api/clients/" + f.client(false, "clients:read") }, newClient([]string{"clients:read"}, false), "clients:write clients:admin clients:read", 200},
		{"delete a client", http.MethodDelete, plainClient, noBody, "clients:write", 204},
		{"delete a client holding scopes:write", http.MethodDelete, func(f managementFixture) string { return "/api/clients/" + f.client(false, "scopes:write") }, noBody, "clients:write clients:admin scopes:write", 204},
		{"regenerate a secret", http.MethodPost, func(f managementFixture) string { return plainClient(f) + "/regenerate-secret" }, noBody, "clients:write", 200},
		{"regenerate the secret of a client holding clients:read", http.MethodPost, func(f managementFixture) string {
			return "/api/clients/" + f.client(false, "clients:read") + "/regenerate-secret"
		}, noBody, "clients:write clients:admin clients:read", 200},
		{"update identity-web", http.MethodPut, fixed("/api/clients/identity-web"), func(managementFixture) any {
			return map[string]any{"name": "identityd web", "grant_types": []string{"refresh_token", "authorization_code"}, "redirect_uris": []string{"https://evil.example/cb"}, "scopes": core.ManagementScopes(), "public": true, "first_party": true}
		}, never, 0},
		{"delete identity-web", http.MethodDelete, fixed("/api/clients/identity-web"), noBody, never, 0},
		{"regenerate identity-web", http.MethodPost, fixed("/api/clients/identity-web/regenerate-secret"), noBody, never, 0},
		{"update the bootstrap client", http.MethodPut, fixed("/api/clients/" + apptest.AdminClientID), func(managementFixture) any {
			return map[string]any{"name": "Bootstrap admin", "grant_types": []string{"client_credentials"}, "scopes": core.ManagementScopes()}
		}, never, 0},
		{"delete the bootstrap client", http.MethodDelete, fixed("/api/clients/" + apptest.AdminClientID), noBody, never, 0},
		{"regenerate the bootstrap client", http.MethodPost, fixed("/api/clients/" + apptest.AdminClientID + "/regenerate-secret"), noBody, never, 0},
	}
}

// clientScopeManagement are the scopes the /api/scopes and /api/clients
// rows depend on.
var clientScopeManagement = []string{core.ScopeScopesRead, core.ScopeScopesWrite, core.ScopeClientsRead, core.ScopeClientsWrite, core.ScopeClientsAdmin}

// subsets returns every subset of all.
func subsets(all []string) [][]string {
	out := make([][]string, 0, 1<<len(all))
	for mask := 0; mask < 1<<len(all); mask++ {
		var set []string
		for i, s := range all {
			if mask&(1<<i) != 0 {
				set = append(set, s)
			}
		}
		out = append(out, set)
	}
	return out
}

func holdsAll(held []string, needs string) bool {
	if needs == never {
		return false
	}
	for _, n := range strings.Fields(needs) {
		if !slices.Contains(held, n) {
			return false
		}
	}
	return true
}

// Every management endpoint, called with every combination of the
// management scopes: a call succeeds exactly when the caller holds what
// its row needs, and answers 403 otherwise. The built-in clients and the
// management scopes survive every combination unchanged.
func TestManagementEscalationTable(t *testing.T) {
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_ENABLED": "false"})
	admin := s.AdminToken(t)
	n := &atomic.Int64{}
	var webBefore []byte
	{
		resp, body := s.Do(t, http.MethodGet, "/api/clients/identity-web", admin, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		webBefore = body
	}
	calls := managementCalls()
	t.Run("combinations", func(t *testing.T) {
		for _, held := range subsets(clientScopeManagement) {
			name := strings.Join(held, "+")
			if name == "" {
				name = "no-scope"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				f := managementFixture{t: t, s: s, admin: admin, n: n}
				f.self = f.client(false, held...)
				// The caller's own client: a confidential client_credentials
				// client made by the admin with exactly the scopes held.
				resp, body := s.Do(t, http.MethodPost, "/api/clients/"+f.self+"/regenerate-secret", admin, nil)
				require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
				secret := decode[map[string]any](t, body)["client_secret"].(string)
				tok := s.ClientCredentials(t, f.self, secret, "")
				require.Equal(t, http.StatusOK, tok.Status, tok.ErrorDescription)
				for _, c := range calls {
					path := c.path(f)
					resp, body := s.Do(t, c.method, path, tok.AccessToken, c.body(f))
					if holdsAll(held, c.needs) {
						assert.Equal(t, c.wantOK, resp.StatusCode, "%s with %s: %s", c.name, name, body)
						continue
					}
					if !assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s with %s: %s", c.name, name, body) {
						continue
					}
					e := decode[errBody](t, body)
					assert.Contains(t, []string{"insufficient_scope", "forbidden"}, e.Error, c.name)
				}
			})
		}
	})

	resp, body := s.Do(t, http.MethodGet, "/api/clients/identity-web", admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, string(webBefore), string(body), "identity-web is unchanged")
	assert.Equal(t, http.StatusOK, s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, "").Status, "the bootstrap secret still works")
	for _, sc := range core.ManagementScopes() {
		managementFixture{t: t, s: s, admin: admin, n: n}.scopeID(sc)
	}
}

// The built-in clients answer 403 forbidden even to a caller holding every
// scope, and a client with only clients:write cannot give itself more.
func TestManagementForbiddenShape(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	for _, tt := range []struct{ method, path string }{
		{http.MethodDelete, "/api/clients/identity-web"},
		{http.MethodPost, "/api/clients/" + apptest.AdminClientID + "/regenerate-secret"},
	} {
		resp, body := s.Do(t, tt.method, tt.path, admin, nil)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, string(body))
		e := decode[errBody](t, body)
		assert.Equal(t, "forbidden", e.Error)
		assert.NotEmpty(t, e.Description)
	}
}
