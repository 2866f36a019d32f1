package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

func caller(scopes string) core.Caller { return core.Caller{Scopes: strings.Fields(scopes)} }

func TestAuthorizeClientChange(t *testing.T) {
	const all = "scopes:read scopes:write clients:read clients:write clients:admin"
	plain := core.Client{ID: "plain", Scopes: []string{"orders:read"}, RedirectURIs: []string{"https://a.example/cb"}}
	holder := core.Client{ID: "holder", Scopes: []string{"clients:read"}}
	firstParty := core.Client{ID: "fp", FirstParty: true, RedirectURIs: []string{"https://a.example/cb"}}
	withScopes := func(c core.Client, s ...string) core.Client { c.Scopes = s; return c }
	withRedirect := func(c core.Client, r ...string) core.Client { c.RedirectURIs = r; return c }
	notFirstParty := firstParty
	notFirstParty.FirstParty = false

	tests := []struct {
		name        string
		giveCaller  core.Caller
		giveAction  core.ClientAction
		giveBefore  core.Client
		giveAfter   core.Client
		giveBuiltin bool
		wantAllowed bool
	}{
		{"create plain client", caller("clients:write"), core.ClientCreate, core.Client{}, plain, false, true},
		{"create with a management scope, no admin", caller("clients:write scopes:write"), core.ClientCreate, core.Client{}, withScopes(plain, "scopes:write"), false, false},
		{"create with a management scope, admin without it", caller("clients:write clients:admin"), core.ClientCreate, core.Client{}, withScopes(plain, "scopes:write"), false, false},
		{"create with a management scope, admin holding it", caller("clients:write clients:admin scopes:write"), core.ClientCreate, core.Client{}, withScopes(plain, "scopes:write"), false, true},
		{"create with clients:admin itself, admin", caller("clients:write clients:admin"), core.ClientCreate, core.Client{}, withScopes(plain, "clients:admin"), false, true},
		{"create with an unknown name in the namespace", caller(all), core.ClientCreate, core.Client{}, withScopes(plain, "clients:root"), false, false},
		{"create first-party without admin", caller("clients:write"), core.ClientCreate, core.Client{}, firstParty, false, false},
		{"create first-party with admin", caller("clients:write clients:admin"), core.ClientCreate, core.Client{}, firstParty, false, true},
		{"give itself more scopes", caller("clients:write"), core.ClientUpdate, withScopes(plain, "clients:write"), withScopes(plain, "clients:write", "scopes:write", "clients:read"), false, false},
		{"rename a plain client", caller("clients:write"), core.ClientUpdate, plain, plain, false, true},
		{"update a client holding a management scope, no admin", caller("clients:write clients:read"), core.ClientUpdate, holder, withScopes(holder), false, false},
		{"update a client holding a management scope, admin holding it", caller("clients:write clients:admin clients:read"), core.ClientUpdate, holder, withScopes(holder), false, true},
		{"first-party redirect change, no admin", caller("clients:write"), core.ClientUpdate, firstParty, withRedirect(notFirstParty, "https://evil.example/cb"), false, false},
		{"first-party redirect change, admin", caller("clients:write clients:admin"), core.ClientUpdate, firstParty, withRedirect(firstParty, "https://evil.example/cb"), false, true},
		{"first-party demoted, same redirects", caller("clients:write"), core.ClientUpdate, firstParty, notFirstParty, false, true},
		{"first-party redirects reordered is no change", caller("clients:write clients:admin"), core.ClientUpdate, withRedirect(firstParty, "https://a.example/1", "https://a.example/2"), withRedirect(firstParty, "https://a.example/2", "https://a.example/1"), false, true},
		{"promote to first-party, no admin", caller("clients:write"), core.ClientUpdate, plain, core.Client{ID: "plain", FirstParty: true}, false, false},
		{"update a built-in client, every scope", caller(all), core.ClientUpdate, plain, plain, true, false},
		{"delete a built-in client, every scope", caller(all), core.ClientDelete, plain, core.Client{}, true, false},
		{"regenerate a built-in client, every scope", caller(all), core.ClientRegenerateSecret, plain, core.Client{}, true, false},
		{"delete a plain client", caller("clients:write"), core.ClientDelete, plain, core.Client{}, false, true},
		{"delete a management holder, no admin", caller("clients:write clients:read"), core.ClientDelete, holder, core.Client{}, false, false},
		{"regenerate a plain client", caller("clients:write"), core.ClientRegenerateSecret, plain, core.Client{}, false, true},
		{"regenerate a management holder, no admin", caller("clients:write clients:read"), core.ClientRegenerateSecret, holder, core.Client{}, false, false},
		{"regenerate a management holder, admin without its scope", caller("clients:write clients:admin"), core.ClientRegenerateSecret, holder, core.Client{}, false, false},
		{"regenerate a management holder, admin with its scope", caller("clients:write clients:admin clients:read"), core.ClientRegenerateSecret, holder, core.Client{}, false, true},
		{"start-up may make built-in clients", core.SystemCaller, core.ClientCreate, core.Client{}, withScopes(firstParty, core.ManagementScopes()...), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := core.AuthorizeClientChange(tt.giveCaller, tt.giveAction, tt.giveBefore, tt.giveAfter, tt.giveBuiltin)
			if tt.wantAllowed {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, core.ErrForbidden)
			var fe *core.ForbiddenError
			assert.ErrorAs(t, err, &fe)
		})
	}
}

func TestAuthorizeScopeChange(t *testing.T) {
	custom := core.Scope{Name: "orders:read"}
	mgmt := core.Scope{Name: "clients:admin"}
	tests := []struct {
		name        string
		giveAction  core.ScopeAction
		giveBefore  core.Scope
		giveAfter   core.Scope
		wantAllowed bool
	}{
		{"create a scope", core.ScopeCreate, core.Scope{}, custom, true},
		{"create in the clients namespace", core.ScopeCreate, core.Scope{}, core.Scope{Name: "clients:root"}, false},
		{"create in the scopes namespace", core.ScopeCreate, core.Scope{}, core.Scope{Name: "scopes:admin"}, false},
		{"rename a scope", core.ScopeUpdate, custom, core.Scope{Name: "orders:write"}, true},
		{"rename into the namespace", core.ScopeUpdate, custom, core.Scope{Name: "scopes:root"}, false},
		{"describe a management scope", core.ScopeUpdate, mgmt, mgmt, false},
		{"delete a scope", core.ScopeDelete, custom, core.Scope{}, true},
		{"delete a management scope", core.ScopeDelete, mgmt, core.Scope{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := core.AuthorizeScopeChange(caller("scopes:read scopes:write clients:admin"), tt.giveAction, tt.giveBefore, tt.giveAfter)
			if tt.wantAllowed {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, core.ErrForbidden)
			}
			assert.NoError(t, core.AuthorizeScopeChange(core.SystemCaller, tt.giveAction, tt.giveBefore, tt.giveAfter))
		})
	}
}

func TestGrantableScopesDropsManagementNamespaces(t *testing.T) {
	user := core.User{}
	admin := core.User{Roles: []string{core.RoleAdmin}}
	req := []string{"openid", "clients:admin", "scopes:read", "clients:anything"}
	assert.Equal(t, []string{"openid"}, core.GrantableScopes(user, req))
	assert.Equal(t, req, core.GrantableScopes(admin, req))
}

func TestValidateRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give   string
		wantOK bool
	}{
		{"admin", true},
		{"support:tier-2_x", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"Admin", false},
		{"a b", false},
		{"a\x00", false},
		{"rôle", false},
		{"a/b", false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.wantOK, core.ValidateRole(tt.give) == "")
		})
	}
	assert.Empty(t, core.ValidateRoles([]string{"a", "b"}))
	assert.NotEmpty(t, core.ValidateRoles([]string{"a", "B"}))
	assert.NotEmpty(t, core.ValidateRoles(make([]string, core.MaxRoles+1)))
}

func TestNewManagementScopesNeedClientsAdmin(t *testing.T) {
	t.Parallel()
	for _, s := range []string{core.ScopeUsersRead, core.ScopeUsersWrite, core.ScopeAuditRead} {
		assert.True(t, core.IsManagementScope(s), s)
		assert.Contains(t, core.ManagementScopes(), s)
		assert.False(t, core.Caller{Scopes: []string{s}}.CanGrantScope(s), "%s alone cannot be given", s)
		assert.True(t, core.Caller{Scopes: []string{s, core.ScopeClientsAdmin}}.CanGrantScope(s), s)
	}
	assert.False(t, core.IsManagementScope(core.ScopeRoles))
}

func TestAuthorizeUserChange(t *testing.T) {
	t.Parallel()
	const self = "11111111-1111-1111-1111-111111111111"
	plain := core.User{ID: "22222222-2222-2222-2222-222222222222", Roles: []string{"support"}}
	admin := core.User{ID: "33333333-3333-3333-3333-333333333333", Roles: []string{core.RoleAdmin}}
	me := core.User{ID: self, Roles: []string{core.RoleAdmin}}
	with := func(u core.User, f func(*core.User)) core.User { f(&u); return u }
	writer := core.Caller{Scopes: []string{core.ScopeUsersWrite}, UserID: self}
	superior := core.Caller{Scopes: []string{core.ScopeUsersWrite, core.ScopeClientsAdmin}, UserID: self}
	tests := []struct {
		name          string
		give          core.Caller
		action        core.UserAction
		before, after core.User
		protected     []string
		wantOK        bool
	}{
		{"rename a person", writer, core.UserUpdate, plain, with(plain, func(u *core.User) { u.FirstName = "X" }), nil, true},
		{"give a free-form role", writer, core.UserUpdate, plain, with(plain, func(u *core.User) { u.Roles = []string{"billing"} }), nil, true},
		{"make admin without clients:admin", writer, core.UserUpdate, plain, with(plain, func(u *core.User) { u.Roles = []string{core.RoleAdmin} }), nil, false},
		{"make admin with clients:admin", superior, core.UserUpdate, plain, with(plain, func(u *core.User) { u.Roles = []string{core.RoleAdmin} }), nil, true},
		{"take admin away without clients:admin", writer, core.UserUpdate, admin, with(admin, func(u *core.User) { u.Roles = nil }), nil, false},
		{"give a protected role", writer, core.UserUpdate, plain, with(plain, func(u *core.User) { u.Roles = []string{"support", "ops"} }), []string{"ops"}, false},
		{"create an admin", writer, core.UserCreate, core.User{}, core.User{Roles: []string{core.RoleAdmin}}, nil, false},
		{"create an admin with clients:admin", superior, core.UserCreate, core.User{}, core.User{Roles: []string{core.RoleAdmin}}, nil, true},
		{"delete a person", writer, core.UserDelete, plain, core.User{}, nil, true},
		{"delete an admin", writer, core.UserDelete, admin, core.User{}, nil, false},
		{"disable an admin", writer, core.UserUpdate, admin, with(admin, func(u *core.User) { u.Disabled = true }), nil, true},
		{"disable oneself", superior, core.UserUpdate, me, with(me, func(u *core.User) { u.Disabled = true }), nil, false},
		{"change own roles", superior, core.UserUpdate, me, with(me, func(u *core.User) { u.Roles = []string{core.RoleAdmin, "x"} }), nil, false},
		{"delete oneself", superior, core.UserDelete, me, core.User{}, nil, false},
		{"rename oneself", writer, core.UserUpdate, me, with(me, func(u *core.User) { u.LastName = "Y" }), nil, true},
		{"the server itself", core.SystemCaller, core.UserCreate, core.User{}, core.User{Roles: []string{core.RoleAdmin}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := core.AuthorizeUserChange(tt.give, tt.action, tt.before, tt.after, tt.protected)
			if tt.wantOK {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, core.ErrForbidden)
		})
	}
}

func TestRefreshSessions(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	tok := func(family string, issued time.Duration, f func(*core.RefreshToken)) core.RefreshToken {
		rt := core.RefreshToken{FamilyID: family, ClientID: "web", UserID: "u", IssuedAt: now.Add(issued), ExpiresAt: now.Add(issued + time.Hour)}
		if f != nil {
			f(&rt)
		}
		return rt
	}
	tokens := []core.RefreshToken{
		tok("a", -50*time.Minute, func(t *core.RefreshToken) { t.RotatedAt = now.Add(-10 * time.Minute) }),
		tok("a", -10*time.Minute, nil),
		tok("b", -5*time.Minute, func(t *core.RefreshToken) { t.RevokedAt = now }),
		tok("c", -2*time.Hour, nil), // expired
		tok("d", -time.Minute, nil),
	}
	got := core.RefreshSessions(tokens, now, 0)
	require.Len(t, got, 2)
	assert.Equal(t, "d", got[0].ID, "newest first")
	assert.Equal(t, "a", got[1].ID)
	assert.Equal(t, now.Add(-50*time.Minute), got[1].CreatedAt, "created when the family began")
	assert.Equal(t, now.Add(-10*time.Minute), got[1].LastUsedAt)
	assert.Equal(t, now.Add(50*time.Minute), got[1].ExpiresAt)
	assert.Equal(t, core.SessionRefresh, got[1].Kind)
}
