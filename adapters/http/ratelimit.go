package http

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// RateLimits are the thresholds of contract §6. With Enabled false no
// request is counted and no RateLimit-* header is sent.
type RateLimits struct {
	Enabled bool
	// Global counts every request by client address (IPv6 by /64).
	Global core.RateLimit
	// Auth counts /api/auth/* by client address.
	Auth core.RateLimit
	// Token counts POST /oauth/token (and grants' client endpoints) by
	// authenticated client (public clients: client and address), failed
	// client authentications by client and address apart; see
	// limitTokenRequest.
	Token core.RateLimit
	// Scopes counts /api/scopes* by the access token's subject.
	Scopes core.RateLimit
	// Clients counts /api/clients* by the access token's subject.
	Clients core.RateLimit
}

type tier int

const (
	tierGlobal tier = iota
	tierAuth
	tierToken
	tierScopes
	tierClients
	tierUsers
	numTiers
)

// rateTier is one row of the table: its threshold, the prefix of its keys
// in the store, and the RateLimit-Limit value, formatted once.
type rateTier struct {
	limit    core.RateLimit
	prefix   string
	limitHdr []string
}

// rateLimiter counts requests in the rate-limit store. When the store
// fails, the request is let through (fail open) and a warning is logged at
// most once per warnEvery: an outage of the limiter's store must not turn
// into an outage of token issuance for every client, and the IP limit of
// the other instances, the login lockout and the store's own alerts still
// stand. The decision is the store's: fixed windows in memory, whatever the
// Redis adapter implements there.
type rateLimiter struct {
	store    ports.RateLimitStore
	clock    ports.Clock
	log      *slog.Logger
	tiers    [numTiers]rateTier
	lastWarn atomic.Int64
}

const warnEvery = 10 * time.Second

func newRateLimiter(cfg RateLimits, store ports.RateLimitStore, clock ports.Clock, log *slog.Logger) *rateLimiter {
	if !cfg.Enabled || store == nil {
		return nil
	}
	rl := &rateLimiter{store: store, clock: clock, log: log}
	for t, def := range map[tier]struct {
		limit  core.RateLimit
		prefix string
	}{
		tierGlobal:  {cfg.Global, "global:"},
		tierAuth:    {cfg.Auth, "auth:"},
		tierToken:   {cfg.Token, "token:"},
		tierScopes:  {cfg.Scopes, "scopes:"},
		tierClients: {cfg.Clients, "clients:"},
		// /api/users* has no threshold of its own: it counts, apart, by
		// the clients' one.
		tierUsers: {cfg.Clients, "users:"},
	} {
		rl.tiers[t] = rateTier{limit: def.limit, prefix: def.prefix, limitHdr: []string{strconv.Itoa(def.limit.Limit)}}
	}
	return rl
}

// rateLimitExempt are the probes a load balancer sends often from one
// address; limiting them would take a healthy instance out of rotation.
func rateLimitExempt(path string) bool { return path == "/healthz" || path == "/readyz" }

// allow counts the request against tier for id (an IP, client id or
// subject) and, past the limit, writes the 429; it reports whether to go
// on.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request, t tier, id string) bool {
	if err := h.count(w, r, t, id); err != nil {
		h.writeError(w, r, err)
		return false
	}
	return true
}

// count counts the request against tier for id. It writes the RateLimit-*
// headers of the most restrictive limit met so far and returns a
// *rateLimitError past the limit.
func (h *Handler) count(w http.ResponseWriter, r *http.Request, t tier, id string) error {
	rl := h.rl
	rt := &rl.tiers[t]
	ctx := r.Context()
	res, err := rl.store.Allow(ctx, rt.prefix+id, rt.limit, rl.clock.Now())
	if err != nil {
		rl.warn(r, err)
		return nil
	}
	reset := int((res.Reset + time.Second - 1) / time.Second)
	rec, _ := ctx.Value(keyRequestID).(*requestRecord)
	if rec == nil || !rec.limited || res.Remaining < rec.remaining || !res.Allowed {
		if rec != nil {
			rec.limited, rec.remaining = true, res.Remaining
		}
		hdr := w.Header()
		hdr["Ratelimit-Limit"] = rt.limitHdr
		hdr.Set("Ratelimit-Remaining", strconv.Itoa(res.Remaining))
		hdr.Set("Ratelimit-Reset", strconv.Itoa(reset))
	}
	if res.Allowed {
		return nil
	}
	h.obs.RateLimited(ctx, strings.TrimSuffix(rt.prefix, ":"))
	return &rateLimitError{retryAfter: max(reset, 1)}
}

func (rl *rateLimiter) warn(r *http.Request, err error) {
	now := rl.clock.Now().UnixNano()
	last := rl.lastWarn.Load()
	if now-last < int64(warnEvery) || !rl.lastWarn.CompareAndSwap(last, now) {
		return
	}
	rl.log.LogAttrs(r.Context(), slog.LevelWarn, "rate limit store failed; requests pass unlimited",
		slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
}

// limitByIP applies the limits keyed by client address (addressKey): every
// request, and /api/auth/* on top.
func (h *Handler) limitByIP(next http.Handler) http.Handler {
	if h.rl == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if rateLimitExempt(path) {
			next.ServeHTTP(w, r)
			return
		}
		ip := addressKey(r)
		if !h.allow(w, r, tierGlobal, ip) {
			return
		}
		if isAuthPath(path) && !h.allow(w, r, tierAuth, ip) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitTokenRequest is phase 3 of clientRequest: it counts a request to
// the token endpoint (or a grant's client endpoint) once its parameters
// are read and its client authentication tried (contract §6). params is
// nil when they could not be read; client is the authenticated client when
// authErr is nil. The buckets:
//   - an authenticated confidential client: its own, whatever the address,
//     so its issuance is bounded however many machines share its secret;
//   - an authenticated public client (identity-web among them): the client
//     and the address (addressKey), so one person's browser cannot use up
//     everyone's;
//   - a failed client authentication: the client it names and the
//     address, apart from the buckets above, so wrong secrets sent from
//     elsewhere never refuse the real client;
//   - a request naming no possible client: its address.
//
// It returns a *rateLimitError past the limit, nil otherwise.
func (h *Handler) limitTokenRequest(w http.ResponseWriter, r *http.Request, params grants.Params, client core.Client, authErr error) error {
	if h.rl == nil {
		return nil
	}
	addr := addressKey(r)
	key := "ip:" + addr
	switch {
	case params == nil:
	case authErr == nil && client.Public:
		key = "public:" + client.ID + "|" + addr
	case authErr == nil:
		key = "client:" + client.ID
	default:
		if id := claimedClientID(r, params); id != "" {
			key = "failed:" + id + "|" + addr
		}
	}
	return h.count(w, r, tierToken, key)
}

// addressKey is the key of the request's client address in every
// per-address limit: core.AddressKey, which groups IPv6 by /64.
func addressKey(r *http.Request) string {
	return core.AddressKey(service.RequestInfoFrom(r.Context()).IP)
}

// limitUser applies a management limit by the subject of the access token
// that authenticate accepted; it runs before the scope check, so refused
// calls count too.
func (h *Handler) limitUser(t tier, next http.Handler) http.Handler {
	if h.rl == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := tokenFrom(r.Context())
		if ok && !h.allow(w, r, t, tok.Subject) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// managed wraps a management handler: Bearer authentication, the limit of
// its tier by token subject, then the scope check.
func (h *Handler) managed(t tier, scope string, fn http.HandlerFunc) http.Handler {
	return h.authenticate(h.limitUser(t, h.requireScope(scope)(fn)))
}

// rateLimitError is a request over a limit (contract §4, §6): 429 with
// Retry-After in seconds.
type rateLimitError struct {
	retryAfter int
}

func (e *rateLimitError) Error() string {
	return "rate limit exceeded; retry after " + strconv.Itoa(e.retryAfter) + "s"
}

// limitSignIn counts a request that presents a password (or another
// guessable secret: a user code, a second-factor code) against the
// per-address sign-in limit (RateLimits.Auth), the bucket POST
// /api/auth/login counts in: every way to present a password counts the
// same, so no page is a way round the limit. Requests under isAuthPath
// are counted by limitByIP already and must not call it. It reports
// whether to go on; past the limit it has written the 429.
func (h *Handler) limitSignIn(w http.ResponseWriter, r *http.Request) bool {
	if h.rl == nil || isAuthPath(r.URL.Path) {
		return true
	}
	return h.allow(w, r, tierAuth, addressKey(r))
}

// isAuthPath reports whether path counts against the /api/auth limit:
// the API and the pages that do the same work (registration, password
// reset, e-mail verification).
func isAuthPath(path string) bool {
	switch {
	case path == "/api/auth", strings.HasPrefix(path, "/api/auth/"),
		path == "/register", path == "/verify-email",
		path == "/password-reset", strings.HasPrefix(path, "/password-reset/"),
		strings.HasPrefix(path, "/login/"):
		return true
	}
	return false
}
