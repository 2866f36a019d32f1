package integration_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// POST /api/clients/{id}/regenerate-secret {keep_previous_for}: the old
// secret keeps working until then, and only then; without it, it stops at
// once. Abuse: a longer or malformed duration changes nothing; a caller
// without clients:write, or on a built-in client, is refused (see
// TestManagementEscalationTable).
func TestRegenerateSecretKeepsThePreviousFor(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	resp, body := s.Do(t, http.MethodPost, "/api/clients", admin, map[string]any{"name": "consumer", "grant_types": []string{"client_credentials"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	created := decode[map[string]any](t, body)
	id, first := created["client_id"].(string), created["client_secret"].(string)
	works := func(secret string) bool {
		t.Helper()
		tr := s.ClientCredentials(t, id, secret, "")
		require.Contains(t, []int{http.StatusOK, http.StatusUnauthorized}, tr.Status)
		return tr.Status == http.StatusOK
	}
	regenerate := func(body any) (int, string) {
		t.Helper()
		resp, data := s.Do(t, http.MethodPost, "/api/clients/"+id+"/regenerate-secret", admin, body)
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, string(data)
		}
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		return resp.StatusCode, decode[map[string]any](t, data)["client_secret"].(string)
	}

	for _, bad := range []any{
		map[string]any{"keep_previous_for": "8d"},
		map[string]any{"keep_previous_for": "-1h"},
		map[string]any{"keep_previous_for": "soon"},
		map[string]any{"keep_previous_for": 3600},
		map[string]any{"keep_previous": "1h"},
	} {
		code, msg := regenerate(bad)
		assert.Equal(t, http.StatusBadRequest, code, "%v: %s", bad, msg)
		assert.Contains(t, msg, "keep_previous", "the field is named")
	}
	require.True(t, works(first), "a refused regeneration changes nothing")

	code, second := regenerate(map[string]any{"keep_previous_for": "1h"})
	require.Equal(t, http.StatusOK, code, second)
	assert.True(t, works(first), "the replaced secret works within keep_previous_for")
	assert.True(t, works(second))
	s.Clock.Advance(time.Hour - time.Minute)
	assert.True(t, works(first))
	s.Clock.Advance(2 * time.Minute)
	assert.False(t, works(first), "and not after it")
	assert.True(t, works(second))

	admin = s.AdminToken(t)
	code, third := regenerate(map[string]any{"keep_previous_for": "7d"})
	require.Equal(t, http.StatusOK, code, third)
	code, fourth := regenerate(nil)
	require.Equal(t, http.StatusOK, code, fourth)
	assert.False(t, works(third), "without keep_previous_for the old secret stops at once")
	assert.False(t, works(second), "a secret kept by an earlier regeneration ends with the next one")
	assert.True(t, works(fourth))
}
