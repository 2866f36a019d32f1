package service

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Audit log query bounds (contract "Audit log").
const (
	// DefaultAuditPageLimit is the page size when none is asked for.
	DefaultAuditPageLimit = 50
	// MaxAuditPageLimit is the largest page; a larger limit is clamped
	// to it.
	MaxAuditPageLimit = 200
	// maxAuditFilterLength bounds the type, user_id and client_id
	// filters, in bytes: ids are far shorter.
	maxAuditFilterLength = 255
)

// AuditEvents answers an auditor's questions to the stored audit log.
type AuditEvents struct {
	reader ports.AuditReader
	// flush waits until the events recorded before the query are stored
	// (the audit queue writes them in the background); nil when they are
	// stored at once.
	flush func(context.Context) error
}

// NewAuditEvents returns the audit log reader; flush, when not nil, is
// called before each query so a query sees every event recorded before
// it.
func NewAuditEvents(reader ports.AuditReader, flush func(context.Context) error) *AuditEvents {
	return &AuditEvents{reader: reader, flush: flush}
}

// AuditFilter is a query of the audit log as a caller gives it.
type AuditFilter struct {
	// Type is an event type, or a prefix of types ending in ".".
	Type, UserID, ClientID string
	// Since and Until bound the time of the events (Since <= t < Until);
	// zero: unbounded.
	Since, Until time.Time
	// Limit is the page size: 0 is DefaultAuditPageLimit, above
	// MaxAuditPageLimit is clamped to it.
	Limit int
	// Cursor is the next_cursor of the previous page, or "".
	Cursor string
}

// List returns one page of the events f selects, newest first, and the
// cursor of the next page ("" at the end). Invalid filters are a
// *core.ValidationError naming each.
func (s *AuditEvents) List(ctx context.Context, f AuditFilter) ([]core.AuditEvent, string, error) {
	q, err := auditQuery(f)
	if err != nil {
		return nil, "", err
	}
	if s.flush != nil {
		if err := s.flush(ctx); err != nil {
			return nil, "", err
		}
	}
	limit := q.Limit
	q.Limit++
	items, err := s.reader.ListAuditEvents(ctx, q)
	if err != nil {
		return nil, "", err
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	last := items[limit-1]
	return items, encodeAuditCursor(core.AuditCursor{CreatedAt: last.CreatedAt, ID: last.ID}), nil
}

func auditQuery(f AuditFilter) (core.AuditQuery, error) {
	var v core.ValidationError
	q := core.AuditQuery{Type: f.Type, UserID: f.UserID, ClientID: f.ClientID, Since: f.Since, Until: f.Until, Limit: f.Limit}
	if f.Type != "" && !validAuditType(f.Type) {
		v.Add("type", "must be an event type such as client.updated, or a prefix of one ending in '.' such as client.")
	}
	for name, val := range map[string]string{"user_id": f.UserID, "client_id": f.ClientID} {
		if val != "" && !validAuditID(val) {
			v.Add(name, "is not an id")
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		v.Add("until", "must be after since")
	}
	switch {
	case f.Limit < 0:
		v.Add("limit", "must be a positive whole number")
	case f.Limit == 0:
		q.Limit = DefaultAuditPageLimit
	case f.Limit > MaxAuditPageLimit:
		q.Limit = MaxAuditPageLimit
	}
	if f.Cursor != "" {
		c, ok := decodeAuditCursor(f.Cursor)
		if !ok {
			v.Add("cursor", "is not a cursor this server returned")
		}
		q.Before = &c
	}
	return q, v.Err()
}

// validAuditType: lower-case words joined by dots, as every event type
// is, optionally ending in a dot (a prefix).
func validAuditType(s string) bool {
	if len(s) > maxAuditFilterLength || s == "." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && c != '_' && c != '.' {
			return false
		}
	}
	return !strings.HasPrefix(s, ".") && !strings.Contains(s, "..")
}

// validAuditID: a user id, a client id (contract: [A-Za-z0-9._-]) or the
// bootstrap client's configured id: printable ASCII without spaces.
func validAuditID(s string) bool {
	if len(s) > maxAuditFilterLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// A cursor is base64url("<unix nanoseconds>.<id>").
func encodeAuditCursor(c core.AuditCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt.UnixNano(), 10) + "." + c.ID))
}

func decodeAuditCursor(s string) (core.AuditCursor, bool) {
	if len(s) > 2*maxAuditFilterLength {
		return core.AuditCursor{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return core.AuditCursor{}, false
	}
	ns, id, ok := strings.Cut(string(raw), ".")
	if !ok || id == "" || !validAuditID(id) {
		return core.AuditCursor{}, false
	}
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return core.AuditCursor{}, false
	}
	return core.AuditCursor{CreatedAt: time.Unix(0, n).UTC(), ID: id}, true
}
