package integration_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// user creates, as the bootstrap admin, a person with roles and returns
// the id.
func (f managementFixture) user(roles ...string) string {
	f.t.Helper()
	resp, body := f.s.Do(f.t, http.MethodPost, "/api/users", f.admin, map[string]any{
		"email": f.unique("person") + "@example.com", "first_name": "Target", "last_name": "Person",
		"password": userPassword, "roles": nonNilStrings(roles),
	})
	require.Equal(f.t, http.StatusCreated, resp.StatusCode, string(body))
	return decode[map[string]any](f.t, body)["id"].(string)
}

// session signs a new person in and returns the path of that session.
func (f managementFixture) session() string {
	f.t.Helper()
	id := f.user()
	resp, body := f.s.Do(f.t, http.MethodGet, "/api/users/"+id, f.admin, nil)
	require.Equal(f.t, http.StatusOK, resp.StatusCode, string(body))
	email := decode[map[string]any](f.t, body)["email"].(string)
	resp, body = f.s.Do(f.t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": email, "password": userPassword})
	require.Equal(f.t, http.StatusOK, resp.StatusCode, string(body))
	resp, body = f.s.Do(f.t, http.MethodGet, "/api/users/"+id+"/sessions", f.admin, nil)
	require.Equal(f.t, http.StatusOK, resp.StatusCode, string(body))
	items := decode[struct{ Items []struct{ ID string } }](f.t, body).Items
	require.Len(f.t, items, 1)
	return "/api/users/" + id + "/sessions/" + items[0].ID
}

// peopleScopes are the scopes the /api/users rows depend on: the new
// management scopes and clients:admin, which guards the admin role.
var peopleScopes = []string{core.ScopeUsersRead, core.ScopeUsersWrite, core.ScopeAuditRead, core.ScopeClientsAdmin}

// peopleCalls is every people administration endpoint, with the targets
// and bodies that the rules of contract §3 tell apart.
func peopleCalls() []managementCall {
	plain := func(f managementFixture) string { return "/api/users/" + f.user() }
	anAdmin := func(f managementFixture) string { return "/api/users/" + f.user(core.RoleAdmin) }
	newUser := func(roles ...string) func(f managementFixture) any {
		return func(f managementFixture) any {
			return map[string]any{"email": f.unique("new") + "@example.com", "first_name": "New", "last_name": "Person", "password": userPassword, "roles": nonNilStrings(roles)}
		}
	}
	patch := func(v map[string]any) func(managementFixture) any { return func(managementFixture) any { return v } }
	return []managementCall{
		{"list people", http.MethodGet, fixed("/api/users?q=example"), noBody, "users:read", 200},
		{"get a person", http.MethodGet, plain, noBody, "users:read", 200},
		{"create a person", http.MethodPost, fixed("/api/users"), newUser("support"), "users:write", 201},
		{"create an admin", http.MethodPost, fixed("/api/users"), newUser(core.RoleAdmin), "users:write clients:admin", 201},
		{"rename a person", http.MethodPatch, plain, patch(map[string]any{"first_name": "Renamed"}), "users:write", 200},
		{"give a person a role", http.MethodPatch, plain, patch(map[string]any{"roles": []string{"billing"}}), "users:write", 200},
		{"make a person admin", http.MethodPatch, plain, patch(map[string]any{"roles": []string{core.RoleAdmin}}), "users:write clients:admin", 200},
		{"take admin away", http.MethodPatch, anAdmin, patch(map[string]any{"roles": []string{}}), "users:write clients:admin", 200},
		{"rename an admin", http.MethodPatch, anAdmin, patch(map[string]any{"last_name": "Renamed"}), "users:write", 200},
		{"disable a person", http.MethodPatch, plain, patch(map[string]any{"disabled": true}), "users:write", 200},
		{"disable an admin", http.MethodPatch, anAdmin, patch(map[string]any{"disabled": true}), "users:write", 200},
		{"delete a person", http.MethodDelete, plain, noBody, "users:write", 204},
		{"delete an admin", http.MethodDelete, anAdmin, noBody, "users:write clients:admin", 204},
		{"send a reset mail", http.MethodPost, func(f managementFixture) string { return plain(f) + "/password-reset" }, patch(map[string]any{"sign_out": true}), "users:write", 202},
		{"sign a person out everywhere", http.MethodDelete, func(f managementFixture) string { return plain(f) + "/sessions" }, noBody, "users:write", 204},
		{"list a person's sessions", http.MethodGet, func(f managementFixture) string { return plain(f) + "/sessions" }, noBody, "users:read", 200},
		{"list a person's tokens", http.MethodGet, func(f managementFixture) string { return plain(f) + "/tokens" }, noBody, "users:read", 200},
		{"end one session of a person", http.MethodDelete, func(f managementFixture) string { return f.session() }, noBody, "users:write", 204},
	}
}

// observed is what a refused call to path must leave unchanged: the
// person, or for one session the person's sessions.
func observed(path string) string {
	if i := strings.Index(path, "/sessions/"); i >= 0 {
		return path[:i] + "/sessions"
	}
	return strings.TrimSuffix(strings.TrimSuffix(path, "/password-reset"), "/sessions")
}

// Every people administration endpoint, called with every combination of
// users:read, users:write, audit:read and clients:admin: a call succeeds
// exactly when the caller holds what its row needs, and answers 403
// otherwise; a refused call changes nothing.
func TestPeopleEscalationTable(t *testing.T) {
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_ENABLED": "false"})
	admin := s.AdminToken(t)
	n := &atomic.Int64{}
	calls := peopleCalls()
	for _, held := range subsets(peopleScopes) {
		name := strings.Join(held, "+")
		if name == "" {
			name = "no-scope"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := managementFixture{t: t, s: s, admin: admin, n: n}
			f.self = f.client(false, held...)
			resp, body := s.Do(t, http.MethodPost, "/api/clients/"+f.self+"/regenerate-secret", admin, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			secret := decode[map[string]any](t, body)["client_secret"].(string)
			tok := s.ClientCredentials(t, f.self, secret, "")
			require.Equal(t, http.StatusOK, tok.Status, tok.ErrorDescription)
			for _, c := range calls {
				path := c.path(f)
				var before []byte
				if c.method != http.MethodGet && c.method != http.MethodPost || strings.Contains(path, "/password-reset") {
					_, before = s.Do(t, http.MethodGet, observed(path), admin, nil)
				}
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
				if before != nil {
					_, after := s.Do(t, http.MethodGet, observed(path), admin, nil)
					assert.JSONEq(t, string(before), string(after), "%s with %s changed nothing", c.name, name)
				}
			}
		})
	}
}
