package integration_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

// auditCounts counts the recorded events by type.
func (s *peopleServer) auditCounts(t *testing.T) map[string]int {
	t.Helper()
	require.NoError(t, s.queue.Flush(t.Context()))
	out := map[string]int{}
	for _, e := range auditEvents(t, s.Server, s.audit) {
		out[e.Type]++
	}
	return out
}

// TestAuditExactlyOnce checks that every action is recorded by exactly one
// event of each kind, whichever layers it passes through: each issuance is
// one token.issued, whatever the grant.
func TestAuditExactlyOnce(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)

	t.Run("start-up", func(t *testing.T) {
		require.NoError(t, s.queue.Flush(t.Context()))
		byActor := map[string]int{}
		for _, e := range auditEvents(t, s.Server, s.audit) {
			if e.ActorID == service.ActorBootstrap.ID {
				byActor[e.Type+" "+e.SubjectID]++
			}
		}
		assert.Equal(t, 1, byActor[core.AuditClientCreated+" "+apptest.AdminClientID], "the bootstrap client")
		assert.Equal(t, 1, byActor[core.AuditClientCreated+" "+service.WebClientID], "the built-in web client")
		assert.Equal(t, len(core.ManagementScopes())+len(core.OpenIDScopes())+2, s.auditCounts(t)[core.AuditScopeCreated], "the management and OpenID scopes, roles and account")
	})

	steps := []struct {
		name string
		do   func(t *testing.T, st *auditState)
		want map[string]int
	}{
		{"client_credentials", func(t *testing.T, _ *auditState) {
			require.Equal(t, http.StatusOK, s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, "").Status)
		}, map[string]int{core.AuditTokenIssued: 1}},
		{"login", func(t *testing.T, st *auditState) {
			register(t, s.Server, "once@example.com", userPassword)
			st.refresh = login(t, s.Server, "once@example.com", userPassword).RefreshToken
		}, map[string]int{core.AuditTokenIssued: 1, core.AuditLoginSucceeded: 1}},
		{"refresh", func(t *testing.T, st *auditState) {
			tr := refresh(t, s.Server, st.refresh, "")
			require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
			st.retired, st.refresh = st.refresh, tr.RefreshToken
		}, map[string]int{core.AuditTokenIssued: 1}},
		{"refresh token reuse", func(t *testing.T, st *auditState) {
			assert.Equal(t, http.StatusBadRequest, refresh(t, s.Server, st.retired, "").Status)
		}, map[string]int{core.AuditRefreshReuse: 1}},
		{"authorization code", func(t *testing.T, _ *auditState) {
			c := newWebClient(t, s.Server, false, true, nil)
			p := newPKCE()
			b := apptest.NewBrowser(t, s.URL)
			code := authorize(t, s.Server, b, codeParams(c, p, ""), "once@example.com", userPassword)
			tr := exchange(t, s.Server, c, code, callback, p.verifier)
			require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
		}, map[string]int{core.AuditTokenIssued: 2, core.AuditLoginSucceeded: 1, core.AuditClientCreated: 1}},
		{"consent given", func(t *testing.T, st *auditState) {
			st.app = newWebClient(t, s.Server, false, false, nil)
			p := newPKCE()
			st.browser = apptest.NewBrowser(t, s.URL)
			code := authorize(t, s.Server, st.browser, codeParams(st.app, p, ""), "once@example.com", userPassword)
			tr := exchange(t, s.Server, st.app, code, callback, p.verifier)
			require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
		}, map[string]int{core.AuditTokenIssued: 2, core.AuditLoginSucceeded: 1, core.AuditClientCreated: 1, core.AuditConsentGranted: 1}},
		{"consent remembered", func(t *testing.T, st *auditState) {
			p := newPKCE()
			code := authorize(t, s.Server, st.browser, codeParams(st.app, p, ""), "", "")
			tr := exchange(t, s.Server, st.app, code, callback, p.verifier)
			require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
		}, map[string]int{core.AuditTokenIssued: 1}},
		{"consent revoked", func(t *testing.T, st *auditState) {
			person := login(t, s.Server, "once@example.com", userPassword).AccessToken
			resp, body := s.Do(t, http.MethodDelete, "/api/auth/me/consents/"+st.app.ID, person, nil)
			require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		}, map[string]int{core.AuditTokenIssued: 1, core.AuditLoginSucceeded: 1, core.AuditConsentRevoked: 1}},
	}
	st := &auditState{}
	for _, tt := range steps {
		before := s.auditCounts(t)
		t.Run(tt.name, func(t *testing.T) { tt.do(t, st) })
		after := s.auditCounts(t)
		t.Run(tt.name+" events", func(t *testing.T) {
			for typ, n := range after {
				assert.Equal(t, tt.want[typ], n-before[typ], "%s events", typ)
			}
		})
	}
}

type auditState struct {
	refresh, retired string
	app              webClient
	browser          *apptest.Browser
}
