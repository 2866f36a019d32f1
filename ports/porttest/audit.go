package porttest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// AuditStore is a store of audit events that can be queried.
type AuditStore interface {
	ports.AuditLog
	ports.AuditReader
}

// auditFixture records a known set of events: two users, two clients,
// types of two families, one event per second from base.
func auditFixture(t *testing.T, s AuditStore) []core.AuditEvent {
	t.Helper()
	types := []string{core.AuditClientCreated, core.AuditTokenIssued, core.AuditClientUpdated, core.AuditLoginFailed, core.AuditClientDeleted, core.AuditTokenIssued}
	var all []core.AuditEvent
	for i := range 12 {
		e := core.AuditEvent{
			ID: fmt.Sprintf("evt-%02d-%s", i, uniq("a")), Type: types[i%len(types)],
			ActorType: core.AuditActorUser, ActorID: fmt.Sprintf("user-%d", i%2),
			UserID: fmt.Sprintf("user-%d", i%2), ClientID: fmt.Sprintf("client-%d", i%3),
			IP: "192.0.2.1", UserAgent: "test", RequestID: fmt.Sprintf("req-%d", i), Success: i%4 != 3,
			Detail: "note", CreatedAt: base.Add(time.Duration(i) * time.Second),
		}
		if i == 2 {
			e.Details = map[string]any{"changed": []any{"redirect_uris"}, "redirect_uris": map[string]any{"old": []any{"https://a.example/cb"}, "new": []any{"https://a.example/cb", "https://evil.example.com/cb"}}}
		}
		require.NoError(t, s.RecordAudit(context.Background(), e))
		all = append(all, e)
	}
	// Two events in the same microsecond: the id breaks the tie.
	for _, id := range []string{"tie-a-" + uniq("t"), "tie-b-" + uniq("t")} {
		e := core.AuditEvent{ID: id, Type: core.AuditScopeCreated, ActorType: core.AuditActorSystem, CreatedAt: base.Add(20 * time.Second), Success: true}
		require.NoError(t, s.RecordAudit(context.Background(), e))
		all = append(all, e)
	}
	return all
}

func ids(events []core.AuditEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

// want selects from all, newest first, what q selects.
func want(all []core.AuditEvent, q core.AuditQuery) []string {
	var out []core.AuditEvent
	for i := len(all) - 1; i >= 0; i-- {
		if q.Matches(all[i]) {
			out = append(out, all[i])
		}
	}
	// all is in time order except the tie, recorded a then b: newest
	// first puts b before a, which the reverse walk already does.
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return ids(out)
}

// RunAuditLogTests runs the contract of ports.AuditReader against stores
// made by newStore, a fresh one per subtest.
func RunAuditLogTests(t *testing.T, newStore func(t *testing.T) AuditStore) {
	t.Helper()
	ctx := context.Background()
	t.Run("round trip", func(t *testing.T) {
		s := newStore(t)
		all := auditFixture(t, s)
		got, err := s.ListAuditEvents(ctx, core.AuditQuery{UserID: "user-0", Type: core.AuditClientUpdated, Limit: 10})
		require.NoError(t, err)
		require.Len(t, got, 2)
		e := got[1]
		wantE := all[2]
		assert.Equal(t, wantE.ID, e.ID)
		assert.Equal(t, wantE.Type, e.Type)
		assert.Equal(t, wantE.ActorType, e.ActorType)
		assert.Equal(t, wantE.ActorID, e.ActorID)
		assert.Equal(t, wantE.UserID, e.UserID)
		assert.Equal(t, wantE.ClientID, e.ClientID)
		assert.Equal(t, wantE.IP, e.IP)
		assert.Equal(t, wantE.RequestID, e.RequestID)
		assert.Equal(t, wantE.Success, e.Success)
		assert.Equal(t, wantE.Detail, e.Detail)
		assert.True(t, wantE.CreatedAt.Equal(e.CreatedAt), "created_at %s, want %s", e.CreatedAt, wantE.CreatedAt)
		wantJSON, _ := json.Marshal(wantE.Details)
		gotJSON, _ := json.Marshal(e.Details)
		assert.JSONEq(t, string(wantJSON), string(gotJSON))
	})
	t.Run("filters", func(t *testing.T) {
		s := newStore(t)
		all := auditFixture(t, s)
		tests := []struct {
			name string
			give core.AuditQuery
		}{
			{"everything", core.AuditQuery{Limit: 100}},
			{"limit", core.AuditQuery{Limit: 3}},
			{"exact type", core.AuditQuery{Type: core.AuditTokenIssued, Limit: 100}},
			{"type prefix", core.AuditQuery{Type: "client.", Limit: 100}},
			{"prefix without events", core.AuditQuery{Type: "nothing.", Limit: 100}},
			{"a type's prefix without the dot is exact", core.AuditQuery{Type: "client", Limit: 100}},
			{"user", core.AuditQuery{UserID: "user-1", Limit: 100}},
			{"client", core.AuditQuery{ClientID: "client-2", Limit: 100}},
			{"user and client", core.AuditQuery{UserID: "user-0", ClientID: "client-1", Limit: 100}},
			{"prefix and user", core.AuditQuery{Type: "client.", UserID: "user-1", Limit: 100}},
			{"prefix and limit", core.AuditQuery{Type: "client.", Limit: 2}},
			{"since", core.AuditQuery{Since: base.Add(5 * time.Second), Limit: 100}},
			{"until", core.AuditQuery{Until: base.Add(5 * time.Second), Limit: 100}},
			{"since and until", core.AuditQuery{Since: base.Add(3 * time.Second), Until: base.Add(7 * time.Second), Limit: 100}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListAuditEvents(ctx, tt.give)
				require.NoError(t, err)
				assert.Equal(t, want(all, tt.give), ids(got))
			})
		}
	})
	t.Run("keyset pages", func(t *testing.T) {
		s := newStore(t)
		all := auditFixture(t, s)
		for _, q := range []core.AuditQuery{{}, {Type: "client."}, {UserID: "user-0"}, {ClientID: "client-0"}, {Type: core.AuditScopeCreated}} {
			var got []string
			q.Limit = 2
			for range 20 {
				page, err := s.ListAuditEvents(ctx, q)
				require.NoError(t, err)
				got = append(got, ids(page)...)
				if len(page) < q.Limit {
					break
				}
				last := page[len(page)-1]
				q.Before = &core.AuditCursor{CreatedAt: last.CreatedAt, ID: last.ID}
			}
			q.Before, q.Limit = nil, 100
			assert.Equal(t, want(all, q), got, "%+v", q)
		}
	})
	t.Run("purge", func(t *testing.T) {
		s := newStore(t)
		all := auditFixture(t, s)
		n, err := s.PurgeAuditEvents(ctx, base.Add(4*time.Second), 3)
		require.NoError(t, err)
		assert.Equal(t, int64(4), n)
		got, err := s.ListAuditEvents(ctx, core.AuditQuery{Limit: 100})
		require.NoError(t, err)
		assert.Equal(t, want(all[4:], core.AuditQuery{Limit: 100}), ids(got))
		n, err = s.PurgeAuditEvents(ctx, base.Add(4*time.Second), 3)
		require.NoError(t, err)
		assert.Zero(t, n, "nothing left to purge")
	})
}

// ClientNameStore stores clients and finds them by name.
type ClientNameStore interface {
	ports.ClientRepository
	ports.ClientNameFinder
}

// RunClientNameTests runs the contract of ports.ClientNameFinder against
// stores made by newStore.
func RunClientNameTests(t *testing.T, newStore func(t *testing.T) ClientNameStore) {
	t.Helper()
	ctx := context.Background()
	t.Run("exact name, by id, paged", func(t *testing.T) {
		s := newStore(t)
		name := uniq("Reporting")
		var want []string
		for i := range 3 {
			c := newClient(fmt.Sprintf("%s-%d", uniq("n"), i))
			c.Name = name
			require.NoError(t, s.CreateClient(ctx, c))
			want = append(want, c.ID)
		}
		for _, other := range []string{name + " ", strings.ToUpper(name), "x" + name} {
			c := newClient(uniq("o"))
			c.Name = other
			require.NoError(t, s.CreateClient(ctx, c))
		}
		slices.Sort(want)
		got, err := s.ListClientsByName(ctx, name, core.Page{Limit: 10})
		require.NoError(t, err)
		var gotIDs []string
		for _, c := range got {
			gotIDs = append(gotIDs, c.ID)
			assert.Equal(t, name, c.Name)
		}
		assert.Equal(t, want, gotIDs)
		page, err := s.ListClientsByName(ctx, name, core.Page{After: want[0], Limit: 1})
		require.NoError(t, err)
		require.Len(t, page, 1)
		assert.Equal(t, want[1], page[0].ID)
		none, err := s.ListClientsByName(ctx, uniq("nobody"), core.Page{Limit: 10})
		require.NoError(t, err)
		assert.Empty(t, none)
	})
}
