package http

import (
	"net/http"
)

// CORS headers (Fetch standard, "CORS protocol").
const (
	corsAllowMethods  = "GET, POST, PUT, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, X-Request-Id"
	corsExposeHeaders = "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-Id, WWW-Authenticate, Location"
	corsMaxAge        = "600"
)

// corsPolicy allows cross-origin requests from the CORS_ORIGIN origins
// only. The allowed origin is echoed, never "*", and credentials (cookies)
// are not allowed: the API authenticates with Bearer tokens, and the login
// session cookie must never be usable from another origin.
type corsPolicy struct {
	origins map[string]bool
}

func newCORSPolicy(origins []string) *corsPolicy {
	if len(origins) == 0 {
		return nil
	}
	p := &corsPolicy{origins: make(map[string]bool, len(origins))}
	for _, o := range origins {
		p.origins[o] = true
	}
	return p
}

// cors answers preflight requests and marks actual responses for allowed
// origins. Every response varies by Origin once any origin is allowed, so a
// shared cache never serves one origin's answer to another.
func (h *Handler) cors(next http.Handler) http.Handler {
	if h.corsPolicy == nil {
		return next
	}
	p := h.corsPolicy
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		allowed := origin != "" && p.origins[origin]
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hdr.Add("Vary", "Access-Control-Request-Method")
			hdr.Add("Vary", "Access-Control-Request-Headers")
			if allowed {
				hdr.Set("Access-Control-Allow-Origin", origin)
				hdr.Set("Access-Control-Allow-Methods", corsAllowMethods)
				hdr.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				hdr.Set("Access-Control-Max-Age", corsMaxAge)
			}
			// A denied preflight gets no CORS headers: the browser then
			// refuses the actual request.
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}
