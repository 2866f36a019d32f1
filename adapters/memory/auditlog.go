package memory

import (
	"encoding/binary"
	"slices"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
)

// auditChunk is how many events one block of the in-memory audit log
// holds. The log grows by whole blocks and never copies what it holds, so
// a long run does not briefly need twice its size as a growing slice would.
const auditChunk = 1024

// MaxAuditEvents is how many of the latest audit events the in-memory store
// keeps; older ones are dropped a block at a time. The in-memory store is for
// tests and demonstrations: durable audit trails live in PostgreSQL.
const MaxAuditEvents = 64 * auditChunk

// auditLog keeps audit events in order, compactly: every issued token adds
// one, so in memory the log grows as fast as the token store. The type,
// address, user agent and detail of an event repeat from one to the next
// and are shared (up to maxInterned distinct combinations); the time is
// kept as Unix nanoseconds when that gives it back exactly (see packTime),
// else the event is kept whole.
type auditLog struct {
	chunks [][]auditRecord
	n      int
	common map[string]*auditCommon
}

type auditRecord struct {
	// idUUID holds the id when it is a canonical UUID (idIsUUID), as
	// ports.Random.NewID makes them; idString any other.
	idUUID                                          uuid
	idString                                        string
	actorID, subjectID, userID, clientID, requestID string
	common                                          *auditCommon
	at                                              int64
	success, idIsUUID                               bool
	full                                            *core.AuditEvent
}

// auditCommon is the part of an event that repeats.
type auditCommon struct {
	typ, actorType, ip, userAgent, detail string
}

func (l *auditLog) add(e core.AuditEvent) {
	if l.n == len(l.chunks)*auditChunk {
		if l.n >= MaxAuditEvents {
			l.chunks[0] = nil
			l.chunks = l.chunks[1:]
			l.n -= auditChunk
		}
		l.chunks = append(l.chunks, make([]auditRecord, 0, auditChunk))
	}
	var r auditRecord
	if at, ok := packTime(e.CreatedAt); ok && e.Details == nil {
		r = auditRecord{actorID: e.ActorID, subjectID: e.SubjectID, userID: e.UserID, clientID: e.ClientID, requestID: e.RequestID,
			common: l.shared(e), at: at, success: e.Success}
		if u, ok := parseUUID(e.ID); ok {
			r.idUUID, r.idIsUUID = u, true
		} else {
			r.idString = e.ID
		}
	} else {
		r = auditRecord{full: &e}
	}
	last := len(l.chunks) - 1
	l.chunks[last] = append(l.chunks[last], r)
	l.n++
}

func (l *auditLog) shared(e core.AuditEvent) *auditCommon {
	if l.common == nil {
		l.common = map[string]*auditCommon{}
	}
	var buf [256]byte
	key := buf[:0]
	for _, s := range [...]string{e.Type, e.ActorType, e.IP, e.UserAgent, e.Detail} {
		key = binary.AppendUvarint(key, uint64(len(s)))
		key = append(key, s...)
	}
	if c, ok := l.common[string(key)]; ok {
		return c
	}
	c := &auditCommon{typ: e.Type, actorType: e.ActorType, ip: e.IP, userAgent: e.UserAgent, detail: e.Detail}
	if len(l.common) < maxInterned {
		l.common[string(key)] = c
	}
	return c
}

// events returns a copy of every event, in order.
func (l *auditLog) events() []core.AuditEvent {
	if l.n == 0 {
		return nil
	}
	out := make([]core.AuditEvent, 0, l.n)
	for _, chunk := range l.chunks {
		for i := range chunk {
			r := &chunk[i]
			if r.full != nil {
				out = append(out, *r.full)
				continue
			}
			id := r.idString
			if r.idIsUUID {
				id = r.idUUID.String()
			}
			out = append(out, core.AuditEvent{
				ID: id, Type: r.common.typ, ActorType: r.common.actorType, ActorID: r.actorID, SubjectID: r.subjectID, UserID: r.userID, ClientID: r.clientID,
				IP: r.common.ip, UserAgent: r.common.userAgent, RequestID: r.requestID, Success: r.success,
				Detail: r.common.detail, CreatedAt: unpackTime(r.at),
			})
		}
	}
	return out
}

// list returns the events q selects, newest first.
func (l *auditLog) list(q core.AuditQuery) []core.AuditEvent {
	var out []core.AuditEvent
	for _, e := range l.events() {
		if q.Matches(e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b core.AuditEvent) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	if len(out) > q.Limit {
		out = out[:max(q.Limit, 0)]
	}
	return out
}

// purge drops the events created before `before` and returns how many.
func (l *auditLog) purge(before time.Time) int64 {
	all := l.events()
	keep := make([]core.AuditEvent, 0, len(all))
	for _, e := range all {
		if !e.CreatedAt.Before(before) {
			keep = append(keep, e)
		}
	}
	if len(keep) == len(all) {
		return 0
	}
	*l = auditLog{common: l.common}
	for _, e := range keep {
		l.add(e)
	}
	return int64(len(all) - len(keep))
}
