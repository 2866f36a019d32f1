package integration_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/app/apptest"
)

func kidOf(t *testing.T, raw string) string {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	require.NoError(t, err)
	var h struct {
		Kid string `json:"kid"`
	}
	require.NoError(t, json.Unmarshal(data, &h))
	return h.Kid
}

// A new signing key is published in the JWKS at least JWKS_CACHE_MAX_AGE
// (also the JWKS response's max-age) before it signs: a verifier that
// caches the set for its max-age and never refetches on an unknown kid
// misses no token (issue 21).
func TestNewSigningKeyIsPublishedBeforeItSigns(t *testing.T) {
	t.Parallel()
	var keys *jwt.KeyManager
	s := apptest.Start(t, map[string]string{"JWT_SIGNING_ALG": "RS256", "SIGNING_KEY_ROTATION_INTERVAL": "5m", "JWKS_CACHE_MAX_AGE": "2m"}, fx.Populate(&keys))
	jwks := func() map[string]bool {
		resp, body := s.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "public, max-age=120", resp.Header.Get("Cache-Control"))
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		require.NoError(t, json.Unmarshal(body, &set))
		kids := map[string]bool{}
		for _, k := range set.Keys {
			kids[k.Kid] = true
		}
		return kids
	}
	refresh := func() { require.NoError(t, keys.Refresh(context.Background())) }

	first := kidOf(t, s.AdminToken(t))
	require.True(t, jwks()[first])
	before := jwks()

	s.Clock.Advance(5*time.Minute + time.Second)
	refresh() // the interval retires the key and makes its successor
	published := jwks()
	require.Len(t, published, len(before)+3, "a new RS256, ES256 and EdDSA key")
	cached := s.AdminToken(t)
	assert.Equal(t, first, kidOf(t, cached), "the new key does not sign before it has been published for the max-age")

	s.Clock.Advance(2*time.Minute - 30*time.Second)
	refresh()
	assert.Equal(t, first, kidOf(t, s.AdminToken(t)))

	s.Clock.Advance(30 * time.Second)
	refresh()
	tok := s.AdminToken(t)
	second := kidOf(t, tok)
	assert.NotEqual(t, first, second, "once published for the max-age, the new key signs")
	assert.True(t, published[second], "a verifier holding the set fetched at the rotation knows the key")
	assert.True(t, jwks()[first], "the retired key stays published while its tokens live")
	resp, body := s.Do(t, http.MethodGet, "/api/clients", tok, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	resp, body = s.Do(t, http.MethodGet, "/api/clients", cached, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}
