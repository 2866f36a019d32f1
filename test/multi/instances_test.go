package multi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// tokenLimit is RATE_LIMIT_TOKEN of the instances: low, so the shared
// count is reached in a few requests. No other case asks for more than
// this many tokens for one client.
const (
	tokenLimit    = 5
	tokenLimitEnv = "5/1h"
)

// Two in-process servers on one schema and one key prefix.
func TestTwoServersShareOneStore(t *testing.T) {
	t.Parallel()
	forEachRedis(t, func(t *testing.T, kind string) {
		env := sharedEnv(t, kind, map[string]string{"RATE_LIMIT_TOKEN": tokenLimitEnv})
		a := apptest.Start(t, env)
		b := apptest.Start(t, env)
		runSharedStore(t, node{name: "a", url: a.URL}, node{name: "b", url: b.URL})
	})
}

// Two identityd processes on one schema and one key prefix, as two
// replicas of a deployment run.
func TestTwoBinariesShareOneStore(t *testing.T) {
	t.Parallel()
	forEachRedis(t, func(t *testing.T, kind string) {
		env := sharedEnv(t, kind, map[string]string{"RATE_LIMIT_TOKEN": tokenLimitEnv})
		a := e2e.Start(t, env)
		b := e2e.Start(t, env)
		runSharedStore(t, node{name: "a", url: a.URL}, node{name: "b", url: b.URL})
	})
}

// runSharedStore shows that whatever one instance does, the other sees at
// once. The cases run in order on the same two instances.
func runSharedStore(t *testing.T, a, b node) {
	admin := a.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)

	t.Run("a token issued by one is active on the other", func(t *testing.T) {
		id, secret := a.newClient(t, admin)
		tok := a.mustToken(t, id, secret)
		assert.True(t, b.active(t, tok))
		tok = b.mustToken(t, id, secret)
		assert.True(t, a.active(t, tok))
		assert.True(t, b.active(t, admin), "the admin token of a works on b")
	})

	t.Run("a refresh token rotated on one and reused on the other kills the family", func(t *testing.T) {
		email := fmt.Sprintf("ada-%d@example.com", time.Now().UnixNano())
		r := a.api(t, http.MethodPost, "/api/auth/register", "", map[string]string{
			"email": email, "password": "Analytical-Engine-1843", "first_name": "Ada", "last_name": "Lovelace",
		})
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		r = a.api(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": email, "password": "Analytical-Engine-1843"})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		first := r.str("refresh_token")
		refresh := func(n node, token string) reply {
			return n.form(t, "/oauth/token", "identity-web", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
		}
		r = refresh(a, first)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		second, access := r.str("refresh_token"), r.str("access_token")
		require.True(t, b.active(t, access))

		r = refresh(b, first)
		assert.Equal(t, http.StatusBadRequest, r.status, r.raw)
		assert.Equal(t, "invalid_grant", r.str("error"))
		r = refresh(a, second)
		assert.Equal(t, http.StatusBadRequest, r.status, "the successor died with its family: %s", r.raw)
		assert.False(t, b.active(t, access), "and so did the access token issued with it")
		within(t, healthyBound, "a rejects that access token", func() bool { return !a.active(t, access) })
	})

	t.Run("a session ended or a person disabled on one is inactive on the other within the bound", func(t *testing.T) {
		email := fmt.Sprintf("grace-%d@example.com", time.Now().UnixNano())
		const password = "Compiler-A-0-1952"
		r := b.api(t, http.MethodPost, "/api/users", admin, map[string]any{"email": email, "first_name": "Grace", "last_name": "Hopper", "password": password})
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		id := r.str("id")
		signIn := func(n node) reply {
			return n.api(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": email, "password": password})
		}
		r = signIn(a)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		laptop := r.str("access_token")
		r = signIn(b)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		phone := r.str("access_token")
		require.True(t, b.active(t, laptop))

		r = a.api(t, http.MethodGet, "/api/auth/me/sessions", laptop, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		var session string
		for _, it := range r.body["items"].([]any) {
			if it := it.(map[string]any); it["current"] == true {
				session = it["id"].(string)
			}
		}
		require.NotEmpty(t, session)
		r = a.api(t, http.MethodDelete, "/api/users/"+id+"/sessions/"+session, admin, nil)
		require.Equal(t, http.StatusNoContent, r.status, r.raw)
		assert.False(t, a.active(t, laptop), "where it was ended: at once")
		within(t, healthyBound, "b rejects the ended session's token", func() bool { return !b.active(t, laptop) })
		assert.True(t, b.active(t, phone), "the other session goes on")

		r = b.api(t, http.MethodPatch, "/api/users/"+id, admin, map[string]any{"disabled": true})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		within(t, healthyBound, "a rejects the disabled person's token", func() bool { return !a.active(t, phone) })
		r = a.api(t, http.MethodGet, "/api/auth/me", phone, nil)
		assert.Equal(t, http.StatusUnauthorized, r.status, r.raw)
		r = signIn(a)
		assert.Equal(t, http.StatusForbidden, r.status, r.raw)

		r = a.api(t, http.MethodPatch, "/api/users/"+id, admin, map[string]any{"disabled": false})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		r = signIn(b)
		assert.Equal(t, http.StatusOK, r.status, "enabled again, on every instance: %s", r.raw)
	})

	t.Run("a token revoked on one is inactive on the other within the bound", func(t *testing.T) {
		id, secret := b.newClient(t, admin)
		for _, tt := range []struct {
			name          string
			issue, revoke node
			check         node
		}{
			{name: "revoked where issued", issue: a, revoke: a, check: b},
			{name: "revoked on the other", issue: a, revoke: b, check: a},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tok := tt.issue.mustToken(t, id, secret)
				require.True(t, tt.check.active(t, tok))
				r := tt.revoke.form(t, "/oauth/revoke", id, secret, url.Values{"token": {tok}})
				require.Equal(t, http.StatusOK, r.status, r.raw)
				assert.False(t, tt.revoke.active(t, tok), "where it was revoked: at once")
				within(t, healthyBound, tt.check.name+" rejects a token "+tt.revoke.name+" revoked", func() bool { return !tt.check.active(t, tok) })
			})
		}
	})

	t.Run("a secret rotated on one fails on the other within the bound", func(t *testing.T) {
		id, oldSecret := a.newClient(t, admin)
		// b authenticates the client first, so its entry is cached.
		b.mustToken(t, id, oldSecret)
		r := a.api(t, http.MethodPost, "/api/clients/"+id+"/regenerate-secret", admin, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		newSecret := r.str("client_secret")
		require.NotEmpty(t, newSecret)

		r = a.token(t, id, oldSecret)
		assert.Equal(t, http.StatusUnauthorized, r.status, "where it was rotated: at once: %s", r.raw)
		within(t, healthyBound, "b refuses the old secret", func() bool { return !b.authenticates(t, id, oldSecret) })
		r = b.token(t, id, oldSecret)
		assert.Equal(t, "invalid_client", r.str("error"), r.raw)
		b.mustToken(t, id, newSecret)
	})

	t.Run("a client changed on one is changed on the other within the bound", func(t *testing.T) {
		id, secret := a.newClient(t, admin)
		b.mustToken(t, id, secret) // cached on b
		r := a.api(t, http.MethodPut, "/api/clients/"+id, admin, map[string]any{
			"name": "service", "grant_types": []string{"authorization_code"}, "redirect_uris": []string{"https://app.example/cb"}, "scopes": []string{},
		})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		within(t, healthyBound, "b no longer allows the removed grant", func() bool {
			r := b.token(t, id, secret)
			return r.status == http.StatusBadRequest && r.str("error") == "unauthorized_client"
		})
	})

	t.Run("a client deleted on one loses its tokens on the other", func(t *testing.T) {
		id, secret := a.newClient(t, admin)
		fromA := a.mustToken(t, id, secret)
		fromB := b.mustToken(t, id, secret)
		require.True(t, b.active(t, fromA))

		r := b.api(t, http.MethodDelete, "/api/clients/"+id, admin, nil)
		require.Equal(t, http.StatusNoContent, r.status, r.raw)

		assert.False(t, b.active(t, fromA), "where it was deleted: at once")
		within(t, healthyBound, "a rejects the deleted client's tokens", func() bool { return !a.active(t, fromA) && !a.active(t, fromB) })
		within(t, healthyBound, "a refuses the deleted client", func() bool { return !a.authenticates(t, id, secret) })
		r = a.api(t, http.MethodGet, "/api/clients/"+id, admin, nil)
		assert.Equal(t, http.StatusNotFound, r.status, r.raw)
	})

	t.Run("rate-limit counts are shared", func(t *testing.T) {
		id, secret := b.newClient(t, admin)
		nodes := []node{a, b}
		for i := range tokenLimit {
			n := nodes[i%2]
			r := n.token(t, id, secret)
			require.Equal(t, http.StatusOK, r.status, "request %d on %s: %s", i+1, n.name, r.raw)
		}
		for _, n := range nodes {
			r := n.token(t, id, secret)
			assert.Equal(t, http.StatusTooManyRequests, r.status, "%s after %d requests in all: %s", n.name, tokenLimit, r.raw)
			assert.Equal(t, "0", r.header.Get("RateLimit-Remaining"))
			assert.NotEmpty(t, r.header.Get("Retry-After"))
		}
	})
}
