package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyToken
)

func requestID(ctx context.Context) string {
	if rec, ok := ctx.Value(keyRequestID).(*requestRecord); ok {
		return rec.id
	}
	return ""
}

// tokenFrom returns the access token the authenticate middleware accepted.
func tokenFrom(ctx context.Context) (core.AccessToken, bool) {
	t, ok := ctx.Value(keyToken).(core.AccessToken)
	return t, ok
}

// requestIDs makes request ids cheaply: a random per-process prefix and a
// counter, unique without a syscall per request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:])}
}

func (g *requestIDs) next() string {
	var buf [32]byte
	out := append(buf[:0], g.prefix...)
	out = append(out, '-')
	out = appendUint(out, g.n.Add(1))
	return string(out)
}

func appendUint(b []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// validRequestID accepts a caller's X-Request-Id only if it is short and
// printable, so it can go into logs safely.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost middleware: request id, panic recovery, and one
// access-log line per request with the route template (never the query
// string, which may carry credentials).
func (h *Handler) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := h.clock.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = h.ids.next()
		}
		w.Header().Set("X-Request-Id", id)
		rec := &requestRecord{id: id, route: "unmatched"}
		ip := h.proxies.fromRequest(r)
		ctx := context.WithValue(r.Context(), keyRequestID, rec)
		ctx = service.WithRequestInfo(ctx, service.RequestInfo{IP: ip, UserAgent: truncate(r.UserAgent(), maxUserAgent), RequestID: id})
		ctx, span := h.startSpan(ctx, r)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.LogAttrs(ctx, slog.LevelError, "panic", slog.String("request_id", id), slog.Any("panic", p))
				if sw.status == 0 {
					h.writeError(sw, r, errPanic)
				}
			}
			elapsed := h.clock.Now().Sub(start)
			h.endSpan(span, r.Method, rec.route, sw.status)
			h.obs.RecordRequest(ctx, rec.route, r.Method, sw.status, elapsed)
			if !h.log.Enabled(ctx, slog.LevelInfo) {
				return
			}
			h.log.LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("route", rec.route),
				slog.Int("status", sw.status), slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.Int("bytes", sw.bytes), slog.String("ip", ip), slog.String("request_id", id))
		}()
		next.ServeHTTP(sw, r)
	})
}

// maxUserAgent bounds the user agent kept for audit events and logs.
const maxUserAgent = 512

type panicError struct{}

func (panicError) Error() string { return "handler panicked" }

var errPanic = panicError{}

// requestRecord is what the outer middleware learns about a request from
// inside the router.
type requestRecord struct {
	id    string
	route string
	// limited and remaining tell which rate limit's headers the response
	// carries: the one with the fewest requests left.
	limited   bool
	remaining int
}

// recordRoute runs inside the router, where the matched route is known, and
// tells the outer middleware its template.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := r.Context().Value(keyRequestID).(*requestRecord); ok {
			if route := mux.CurrentRoute(r); route != nil {
				if t, err := route.GetPathTemplate(); err == nil {
					rec.route = t
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate requires a valid Bearer access token meant for this server
// (RFC 6750 §2.1, RFC 9068 §4) and puts it in the context, with its subject and client as the actor of the
// changes the services audit.
func (h *Handler) authenticate(next http.Handler) http.Handler {
	return h.authenticateFrom(headerToken, next)
}

// tokenFinder finds the access token of a request: ok is false when there
// is none; an error is a malformed request.
type tokenFinder func(w http.ResponseWriter, r *http.Request) (token string, ok bool, err error)

// authenticateFrom is authenticate with the token that find finds.
func (h *Handler) authenticateFrom(find tokenFinder, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, done := tokenFrom(r.Context()); done {
			// Authenticated already (enforceAPIAccess): once per request.
			next.ServeHTTP(w, r)
			return
		}
		raw, ok, err := find(w, r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="identityd", error="invalid_request"`)
			h.writeError(w, r, err)
			return
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="identityd"`)
			h.writeError(w, r, newEdgeError(http.StatusUnauthorized, core.CodeInvalidToken, "a Bearer access token is required"))
			return
		}
		t, err := h.tokens.Authenticate(r.Context(), raw)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		// A client's own token (client_credentials) has the client as
		// its subject (RFC 9068 §2.2); any other subject is a person.
		actor := service.Actor{Type: core.AuditActorClient, ID: t.Subject, ClientID: t.ClientID}
		if t.Subject != t.ClientID {
			actor.Type = core.AuditActorUser
		}
		ctx := service.WithActor(context.WithValue(r.Context(), keyToken, t), actor)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// headerToken finds the token in the Authorization header alone (RFC 6750
// §2.1).
func headerToken(_ http.ResponseWriter, r *http.Request) (string, bool, error) {
	t, ok := bearerToken(r)
	return t, ok, nil
}

// errTwoTokens answers a request that sends its access token both ways:
// "Clients MUST NOT use more than one method to transmit the token in each
// request" (RFC 6750 §2).
var errTwoTokens = core.NewOAuthError(core.CodeInvalidRequest, "the access token must be sent either in the Authorization header or in the body, not both")

// headerOrBodyToken finds the token in the Authorization header (RFC 6750
// §2.1) or, in a POST whose body is application/x-www-form-urlencoded, in
// its access_token parameter (§2.2). Both at once, or access_token
// repeated, is invalid_request. The query string (§2.3) is never read, and
// a GET body never is either ("the "GET" method MUST NOT be used", §2.2).
func headerOrBodyToken(w http.ResponseWriter, r *http.Request) (string, bool, error) {
	if r.Method != http.MethodPost || !hasMediaType(r, "application/x-www-form-urlencoded") {
		return headerToken(w, r)
	}
	form, err := parseForm(w, r)
	if err != nil {
		return "", false, err
	}
	if !form.Has("access_token") {
		return headerToken(w, r)
	}
	if r.Header.Get("Authorization") != "" {
		return "", false, errTwoTokens
	}
	if len(form["access_token"]) > 1 {
		return "", false, core.ErrRepeatedParam("access_token")
	}
	t := form.Get("access_token")
	return t, t != "", nil
}

func bearerToken(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	if len(v) < 8 || !strings.EqualFold(v[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(v[7:])
	return t, t != ""
}

// requireScope lets a request through only if its token holds every scope
// named (RFC 6750 §3.1 insufficient_scope otherwise).
func (h *Handler) requireScope(scopes ...string) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, ok := tokenFrom(r.Context())
			if !ok || !core.HasScopes(t.Scopes, scopes...) {
				h.writeError(w, r, core.NewOAuthError(core.CodeInsufficientScope, "the access token lacks the scope "+strings.Join(scopes, " ")))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
