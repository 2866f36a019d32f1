package http

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

// auditEventJSON is one event of GET /api/audit-events (contract "Audit
// log").
type auditEventJSON struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurred_at"`
	Actor      auditActorJSON `json:"actor"`
	UserID     *string        `json:"user_id"`
	ClientID   *string        `json:"client_id"`
	IP         *string        `json:"ip"`
	RequestID  *string        `json:"request_id"`
	Details    map[string]any `json:"details"`
}

type auditActorJSON struct {
	Type string  `json:"type"`
	ID   *string `json:"id"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// toAuditEventJSON shows e. details carries the event's structured facts,
// plus "success" and, when there is one, the note as "description".
func toAuditEventJSON(e core.AuditEvent) auditEventJSON {
	details := make(map[string]any, len(e.Details)+2)
	for k, v := range e.Details {
		details[k] = v
	}
	details["success"] = e.Success
	if e.Detail != "" {
		details["description"] = e.Detail
	}
	actorType := e.ActorType
	if actorType == "" {
		actorType = core.AuditActorSystem
	}
	return auditEventJSON{
		ID: e.ID, Type: e.Type, OccurredAt: e.CreatedAt.UTC(), Actor: auditActorJSON{Type: actorType, ID: orNull(e.ActorID)},
		UserID: orNull(e.UserID), ClientID: orNull(e.ClientID), IP: orNull(e.IP), RequestID: orNull(e.RequestID), Details: details,
	}
}

func (h *Handler) auditRoutes(api *mux.Router) {
	if h.auditEvents == nil {
		return
	}
	api.Handle("/audit-events", h.authenticate(h.requireScope(core.ScopeAuditRead)(http.HandlerFunc(h.listAuditEvents)))).Methods(http.MethodGet)
}

// auditParams are the query parameters GET /api/audit-events takes.
var auditParams = map[string]bool{"type": true, "user_id": true, "client_id": true, "since": true, "until": true, "limit": true, "cursor": true}

// auditFilter reads the query of GET /api/audit-events: each parameter at
// most once, none unknown, times in RFC 3339.
func auditFilter(r *http.Request) (service.AuditFilter, error) {
	var v core.ValidationError
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case !auditParams[name]:
			v.Add(fieldName(name, "parameter"), "is not a known parameter")
		case len(q[name]) > 1:
			v.Add(name, "must be given at most once")
		}
	}
	f := service.AuditFilter{Type: q.Get("type"), UserID: q.Get("user_id"), ClientID: q.Get("client_id"), Cursor: q.Get("cursor")}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				v.Add(name, "must be an RFC 3339 date and time, such as 2026-12-07T15:04:05Z")
				continue
			}
			*dst = t
		}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			v.Add("limit", "must be a whole number of at least 1 (at most "+strconv.Itoa(service.MaxAuditPageLimit)+" are returned)")
		}
		f.Limit = n
	}
	return f, v.Err()
}

// listAuditEvents serves GET /api/audit-events (audit:read): newest first,
// keyset pages.
func (h *Handler) listAuditEvents(w http.ResponseWriter, r *http.Request) {
	f, err := auditFilter(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	items, next, err := h.auditEvents.List(r.Context(), f)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]auditEventJSON, len(items))
	for i, e := range items {
		out[i] = toAuditEventJSON(e)
	}
	noStore(w)
	writeJSON(w, http.StatusOK, newListPage(out, next))
}
