package http

import (
	"net/http"

	"github.com/identityd/identityd/core"
)

// recordChange audits a management change made with the request's access
// token: the actor is the token's subject, the client the one it was
// issued to, the subject the changed entity. detail never holds a secret.
func (h *Handler) recordChange(r *http.Request, eventType, subjectID, detail string) {
	if h.audit == nil {
		return
	}
	e := core.AuditEvent{Type: eventType, SubjectID: subjectID, Success: true, Detail: detail}
	if t, ok := tokenFrom(r.Context()); ok {
		e.ActorID, e.ClientID = t.Subject, t.ClientID
	}
	h.audit.Record(r.Context(), e)
}
