package e2e_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/test/e2e"
)

func jwksKids(t *testing.T, url string) map[string]bool {
	t.Helper()
	resp, err := http.Get(url + "/.well-known/jwks.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	kids := map[string]bool{}
	for _, k := range set.Keys {
		kids[k.Kid] = true
	}
	return kids
}

// identityd keys rotate, with DATABASE_URL alone, makes a running server
// publish new keys next to the old ones within a minute (here: its 10s
// refresh).
func TestKeysRotateReachesARunningServer(t *testing.T) {
	dsn := pgtest.NewSchema(t)
	redisURL, prefix := redistest.New(t)
	p := e2e.Start(t, map[string]string{"DATABASE_URL": dsn, "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix})
	before := jwksKids(t, p.URL)
	require.Len(t, before, 3, "an RS256, ES256 and EdDSA key")

	code, stdout, stderr := e2e.Run(t, map[string]string{"DATABASE_URL": dsn, "APP_ENV": "production"}, "keys", "rotate")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "retired 3 signing key(s)")

	deadline := time.Now().Add(20 * time.Second)
	var after map[string]bool
	for time.Now().Before(deadline) {
		if after = jwksKids(t, p.URL); len(after) == 6 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.Len(t, after, 6, "new keys are published while the retired ones stay")
	for kid := range before {
		assert.True(t, after[kid], "a retired key stays published until its tokens expire")
	}

	code, _, stderr = e2e.Run(t, map[string]string{"DATABASE_URL": ""}, "keys", "rotate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "DATABASE_URL is not set")
}
