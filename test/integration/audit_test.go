package integration_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// auditReader is the in-memory store's view of its audit log.
type auditReader interface {
	AuditEvents() []core.AuditEvent
}

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	var (
		log   ports.AuditLog
		queue *service.AuditQueue
	)
	s := apptest.Start(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1"}, fx.Populate(&log, &queue))
	admin := s.AdminToken(t)
	const ua = "audit-test/1.0"
	call := func(method, path, body string) []byte {
		t.Helper()
		resp, data := send(t, method, s.URL+path, map[string]string{
			"Authorization": "Bearer " + admin, "Content-Type": "application/json", "User-Agent": ua,
			"X-Forwarded-For": "203.0.113.50", "X-Request-Id": "audit-" + method + path,
		}, body)
		require.Less(t, resp.StatusCode, 300, string(data))
		return data
	}

	scope := decode[map[string]any](t, call(http.MethodPost, "/api/scopes", `{"name":"reports:audit","description":"x"}`))
	scopeID := scope["id"].(string)
	call(http.MethodPut, "/api/scopes/"+scopeID, `{"name":"reports:audit","description":"y"}`)
	client := decode[map[string]any](t, call(http.MethodPost, "/api/clients", `{"name":"audited","grant_types":["client_credentials"],"scopes":["reports:audit"]}`))
	clientID, secret := client["client_id"].(string), client["client_secret"].(string)
	tr := s.ClientCredentials(t, clientID, secret, "")
	require.Equal(t, http.StatusOK, tr.Status)
	resp, body := s.PostForm(t, "/oauth/revoke", clientID, secret, url.Values{"token": {tr.AccessToken}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	call(http.MethodPut, "/api/clients/"+clientID, `{"name":"audited 2","grant_types":["client_credentials"],"scopes":[]}`)
	rotated := decode[map[string]any](t, call(http.MethodPost, "/api/clients/"+clientID+"/regenerate-secret", ""))
	call(http.MethodDelete, "/api/clients/"+clientID, "")
	call(http.MethodDelete, "/api/scopes/"+scopeID, "")

	require.NoError(t, queue.Flush(t.Context()))
	events := auditEvents(t, s, log)
	byType := map[string][]core.AuditEvent{}
	for _, e := range events {
		if e.ActorID == service.ActorBootstrap.ID {
			continue // TestAuditExactlyOnce counts what start-up creates
		}
		byType[e.Type] = append(byType[e.Type], e)
	}

	adminSub := apptest.AdminClientID
	// A client event concerns the client changed; the client the actor
	// used is then in details. A scope event concerns the actor's client.
	management := []struct {
		giveType    string
		wantSubject string
		wantClient  string
	}{
		{core.AuditScopeCreated, scopeID, adminSub},
		{core.AuditScopeUpdated, scopeID, adminSub},
		{core.AuditScopeDeleted, scopeID, adminSub},
		{core.AuditClientCreated, clientID, clientID},
		{core.AuditClientUpdated, clientID, clientID},
		{core.AuditClientSecretRotated, clientID, clientID},
		{core.AuditClientDeleted, clientID, clientID},
	}
	for _, tt := range management {
		t.Run(tt.giveType, func(t *testing.T) {
			require.Len(t, byType[tt.giveType], 1)
			e := byType[tt.giveType][0]
			assert.Equal(t, adminSub, e.ActorID)
			assert.Equal(t, core.AuditActorClient, e.ActorType)
			assert.Equal(t, tt.wantClient, e.ClientID)
			if tt.wantClient != adminSub {
				assert.Equal(t, adminSub, e.Details["actor_client_id"])
			}
			assert.Equal(t, tt.wantSubject, e.SubjectID)
			assert.Equal(t, "203.0.113.50", e.IP, "the client address behind the trusted proxy")
			assert.Equal(t, ua, e.UserAgent)
			assert.Contains(t, e.RequestID, "audit-")
			assert.True(t, e.Success)
			assert.NotEmpty(t, e.ID)
			assert.False(t, e.CreatedAt.IsZero())
		})
	}
	t.Run("token issued", func(t *testing.T) {
		var found bool
		for _, e := range byType[core.AuditTokenIssued] {
			if e.ClientID == clientID {
				found = true
				assert.Equal(t, clientID, e.ActorID)
				assert.NotEmpty(t, e.SubjectID, "the jti")
				assert.Equal(t, "127.0.0.1", e.IP)
				assert.NotEmpty(t, e.RequestID)
				assert.Contains(t, e.Detail, "reports:audit")
			}
		}
		assert.True(t, found)
		assert.GreaterOrEqual(t, len(byType[core.AuditTokenIssued]), 2, "the admin's token too")
	})
	t.Run("token revoked", func(t *testing.T) {
		require.Len(t, byType[core.AuditTokenRevoked], 1)
		e := byType[core.AuditTokenRevoked][0]
		assert.Equal(t, clientID, e.ActorID)
		assert.Equal(t, clientID, e.ClientID)
		assert.NotEmpty(t, e.SubjectID)
	})
	t.Run("no secret in any event", func(t *testing.T) {
		data, err := json.Marshal(events)
		require.NoError(t, err)
		for _, secretValue := range []string{secret, rotated["client_secret"].(string), tr.AccessToken, admin, apptest.AdminClientSecret} {
			require.NotEmpty(t, secretValue)
			assert.NotContains(t, string(data), secretValue)
		}
		for _, secretValue := range []string{secret, rotated["client_secret"].(string), tr.AccessToken, admin} {
			assert.NotContains(t, s.Logs(), secretValue)
		}
	})
}
