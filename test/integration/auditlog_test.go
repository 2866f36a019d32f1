package integration_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

type auditEventBody struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	Actor      struct {
		Type string  `json:"type"`
		ID   *string `json:"id"`
	} `json:"actor"`
	UserID    *string        `json:"user_id"`
	ClientID  *string        `json:"client_id"`
	IP        *string        `json:"ip"`
	RequestID *string        `json:"request_id"`
	Details   map[string]any `json:"details"`
}

type auditPage struct {
	Items      []auditEventBody `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// queryAudit asks GET /api/audit-events with query and the token.
func queryAudit(t *testing.T, s *apptest.Server, token string, query url.Values) auditPage {
	t.Helper()
	resp, body := s.Do(t, http.MethodGet, "/api/audit-events?"+query.Encode(), token, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return decode[auditPage](t, body)
}

// TestAuditLogQuery: an auditor finds who changed a client, and when, with
// the old and new redirect_uris; filters, prefixes and pages agree.
func TestAuditLogQuery(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	admin := s.AdminToken(t)
	adminUser := login(t, s.Server, adminEmail, adminPassword).AccessToken

	// The admin person (not the client) adds a redirect URI to a client.
	c := newWebClient(t, s.Server, false, false, []string{callback})
	resp, body := s.Do(t, http.MethodPut, "/api/clients/"+c.ID, adminUser, map[string]any{
		"name": "Photo Printer", "grant_types": []string{"authorization_code", "refresh_token"},
		"redirect_uris": []string{callback, "https://evil.example.com/cb"},
	})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	requestID := resp.Header.Get("X-Request-Id")
	require.NotEmpty(t, requestID)

	t.Run("who changed the client", func(t *testing.T) {
		page := queryAudit(t, s.Server, admin, url.Values{"client_id": {c.ID}, "type": {"client."}})
		require.Len(t, page.Items, 2, "client.created and client.updated")
		upd, created := page.Items[0], page.Items[1]
		assert.Equal(t, core.AuditClientUpdated, upd.Type)
		assert.Equal(t, core.AuditClientCreated, created.Type)
		assert.Equal(t, core.AuditActorUser, upd.Actor.Type)
		assert.NotEmpty(t, str(upd.Actor.ID))
		assert.Equal(t, str(upd.Actor.ID), str(upd.UserID), "a change by a person is found by that person")
		assert.Equal(t, core.AuditActorClient, created.Actor.Type, "created with the admin client's own token")
		assert.Equal(t, c.ID, str(upd.ClientID))
		assert.Equal(t, requestID, str(upd.RequestID))
		assert.NotEmpty(t, str(upd.IP))
		assert.False(t, upd.OccurredAt.Before(created.OccurredAt))
		assert.Equal(t, []any{"redirect_uris"}, upd.Details["changed"])
		assert.Equal(t, map[string]any{"old": []any{callback}, "new": []any{callback, "https://evil.example.com/cb"}}, upd.Details["redirect_uris"])
		assert.NotEqual(t, upd.Details, created.Details, "client.updated is not client.created again")
		assert.NotContains(t, string(body), c.Secret)
	})

	t.Run("filters", func(t *testing.T) {
		uid := register(t, s.Server, "audited@example.com", userPassword)
		login(t, s.Server, "audited@example.com", userPassword)
		_, _ = tryLogin(t, s.Server, "audited@example.com", "Wrong-Password-123!")
		page := queryAudit(t, s.Server, admin, url.Values{"user_id": {uid}})
		var types []string
		for _, e := range page.Items {
			assert.Equal(t, uid, str(e.UserID))
			types = append(types, e.Type)
		}
		require.GreaterOrEqual(t, len(types), 3)
		assert.Equal(t, core.AuditLoginFailed, types[0], "newest first")
		assert.ElementsMatch(t, []string{core.AuditTokenIssued, core.AuditLoginSucceeded}, types[1:3], "one sign-in")
		failed := page.Items[0]
		assert.Equal(t, core.AuditActorUser, failed.Actor.Type)
		assert.Equal(t, false, failed.Details["success"])

		exact := queryAudit(t, s.Server, admin, url.Values{"user_id": {uid}, "type": {core.AuditLoginSucceeded}})
		require.Len(t, exact.Items, 1)
		none := queryAudit(t, s.Server, admin, url.Values{"user_id": {uid}, "type": {"login"}})
		assert.Empty(t, none.Items, "a type without the final dot is exact")

		future := queryAudit(t, s.Server, admin, url.Values{"since": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}})
		assert.Empty(t, future.Items)
		past := queryAudit(t, s.Server, admin, url.Values{"user_id": {uid}, "until": {"2000-01-01T00:00:00Z"}})
		assert.Empty(t, past.Items)
	})

	t.Run("pages", func(t *testing.T) {
		all := queryAudit(t, s.Server, admin, url.Values{"limit": {"100000"}})
		require.Greater(t, len(all.Items), 5)
		assert.LessOrEqual(t, len(all.Items), 200, "limit is clamped")
		var paged []string
		q := url.Values{"limit": {"2"}}
		for range 200 {
			page := queryAudit(t, s.Server, admin, q)
			for _, e := range page.Items {
				paged = append(paged, e.ID)
			}
			if page.NextCursor == nil {
				break
			}
			q.Set("cursor", *page.NextCursor)
		}
		var want []string
		for _, e := range all.Items {
			want = append(want, e.ID)
		}
		// Events recorded while paging (token.issued of nobody here) come
		// before the first page, so the pages hold exactly the listing.
		assert.Equal(t, want, paged)
	})

	t.Run("who may read it", func(t *testing.T) {
		register(t, s.Server, "nosy@example.com", userPassword)
		person := login(t, s.Server, "nosy@example.com", userPassword).AccessToken
		resp, _ := s.Do(t, http.MethodGet, "/api/audit-events", person, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a person without audit:read")
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "insufficient_scope")
		resp, _ = s.Do(t, http.MethodGet, "/api/audit-events", "", nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		id, secret := newServiceClient(t, s.Server, "clients:read")
		clientsOnly := s.ClientCredentials(t, id, secret, "clients:read").AccessToken
		resp, _ = s.Do(t, http.MethodGet, "/api/audit-events", clientsOnly, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "clients:read is not audit:read")
		assert.Equal(t, http.StatusOK, func() int { r, _ := s.Do(t, http.MethodGet, "/api/audit-events", adminUser, nil); return r.StatusCode }(), "the admin role holds audit:read")
	})

	t.Run("bad input", func(t *testing.T) {
		long := strings.Repeat("a", 10*1024)
		tests := []struct {
			name string
			give string
		}{
			{"unknown parameter", "colour=red"},
			{"repeated parameter", "type=login.failed&type=token.issued"},
			{"malformed since", "since=yesterday"},
			{"malformed until", "until=2026-13-01T00:00:00Z"},
			{"until before since", "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z"},
			{"limit not a number", "limit=ten"},
			{"limit zero", "limit=0"},
			{"limit negative", "limit=-5"},
			{"limit overflow", "limit=999999999999999999999999"},
			{"malformed cursor", "cursor=%21%21%21"},
			{"forged cursor", "cursor=" + url.QueryEscape("bm90IGEgY3Vyc29y")},
			{"type with capitals", "type=Login.Failed"},
			{"type of 10 KB", "type=" + long},
			{"user_id of 10 KB", "user_id=" + long},
			{"client_id with a space", "client_id=a%20b"},
			{"NUL byte", "user_id=a%00b"},
			{"invalid UTF-8", "client_id=%ff"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := s.Do(t, http.MethodGet, "/api/audit-events?"+tt.give, admin, nil)
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
				assert.Contains(t, string(body), `"invalid_request"`)
			})
		}
	})
}

// TestAuditRetention: the janitor deletes audit events older than
// AUDIT_RETENTION and keeps the rest, on either backend.
func TestAuditRetention(t *testing.T) {
	t.Parallel()
	var purger ports.Purger
	s := startPeople(t, map[string]string{"AUDIT_RETENTION": "2h"}, fx.Populate(&purger))
	admin := s.AdminToken(t)
	old := queryAudit(t, s.Server, admin, url.Values{"limit": {"200"}})
	require.NotEmpty(t, old.Items)

	s.Clock.Advance(90 * time.Minute)
	admin = s.AdminToken(t) // one more token.issued, 90 minutes later
	require.NoError(t, app.RunJanitor(t.Context(), purger, s.Clock, slog.New(slog.DiscardHandler)))
	kept := queryAudit(t, s.Server, admin, url.Values{"limit": {"200"}})
	assert.Len(t, kept.Items, len(old.Items)+1, "nothing is older than 2h yet")

	s.Clock.Advance(time.Hour)
	require.NoError(t, app.RunJanitor(t.Context(), purger, s.Clock, slog.New(slog.DiscardHandler)))
	admin = s.AdminToken(t) // and one now
	left := queryAudit(t, s.Server, admin, url.Values{"limit": {"200"}})
	require.Len(t, left.Items, 2, "only the events of 60 minutes ago and now stay")
	assert.Equal(t, core.AuditTokenIssued, left.Items[0].Type)
	assert.Equal(t, core.AuditTokenIssued, left.Items[1].Type)
}
