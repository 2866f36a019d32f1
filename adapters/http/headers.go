package http

import (
	"net/http"
	"net/url"
	"strings"
)

// contentSecurityPolicy is helmet's default policy made stricter where
// nothing here needs more: no inline script or style, no framing, no
// plugins. The login and consent pages and Swagger UI work under it as long
// as their scripts and styles are files served from this origin.
var contentSecurityPolicy = []string{
	"default-src 'self'",
	"base-uri 'self'",
	"font-src 'self' data:",
	"form-action 'self'",
	"frame-ancestors 'none'",
	"img-src 'self' data:",
	"object-src 'none'",
	"script-src 'self'",
	"script-src-attr 'none'",
	"style-src 'self'",
}

// authorizePath serves the login and consent forms, whose submission ends
// in a redirect to the client's redirect_uri. Browsers apply form-action to
// every redirect that follows a form submission (Chromium and WebKit do), so
// form-action 'self' there would block the final redirect back to the
// client: the policy for that path leaves form-action out.
const authorizePath = "/oauth/authorize"

// upstreamPath serves the upstream sign-in pages, whose sign-in form (to
// link an account) posts to the authorization endpoint: the same policy.
const upstreamPath = "/login/"

// headerValue is one precomputed header, its key canonical.
type headerValue struct {
	key   string
	value []string
}

// securityHeaders holds the header sets written on every response.
type securityHeaders struct {
	// csp is the policy's directives, for formsTo.
	csp       []string
	common    []headerValue
	authorize []headerValue
	docs      []headerValue
}

// docsPath serves Swagger UI, which sets inline styles on its elements: the
// policy for that path alone allows them.
const docsPath = "/api-docs"

// newSecurityHeaders builds the header sets; logoURL, when it is on
// another origin (BRAND_LOGO_URL), is allowed as an image source.
func newSecurityHeaders(production bool, logoURL string) *securityHeaders {
	csp := append([]string(nil), contentSecurityPolicy...)
	if o := sourceOrigin(logoURL); o != "" {
		for i, d := range csp {
			if strings.HasPrefix(d, "img-src ") {
				csp[i] = d + " " + o
			}
		}
	}
	if production {
		csp = append(csp, "upgrade-insecure-requests")
	}
	var noForm []string
	for _, d := range csp {
		if !strings.HasPrefix(d, "form-action ") {
			noForm = append(noForm, d)
		}
	}
	base := [][2]string{
		{"X-Content-Type-Options", "nosniff"},
		{"X-Frame-Options", "DENY"},
		{"Referrer-Policy", "no-referrer"},
		{"Cross-Origin-Opener-Policy", "same-origin"},
		{"Cross-Origin-Resource-Policy", "same-origin"},
		{"X-DNS-Prefetch-Control", "off"},
		{"X-Download-Options", "noopen"},
		{"X-Permitted-Cross-Domain-Policies", "none"},
		{"Origin-Agent-Cluster", "?1"},
		{"X-XSS-Protection", "0"},
	}
	if production {
		base = append(base, [2]string{"Strict-Transport-Security", "max-age=31536000; includeSubDomains"})
	}
	build := func(policy []string) []headerValue {
		out := make([]headerValue, 0, len(base)+1)
		for _, kv := range base {
			out = append(out, headerValue{key: http.CanonicalHeaderKey(kv[0]), value: []string{kv[1]}})
		}
		return append(out, headerValue{key: "Content-Security-Policy", value: []string{strings.Join(policy, "; ")}})
	}
	var inlineStyle []string
	for _, d := range csp {
		if d == "style-src 'self'" {
			d = "style-src 'self' 'unsafe-inline'"
		}
		inlineStyle = append(inlineStyle, d)
	}
	return &securityHeaders{csp: csp, common: build(csp), authorize: build(noForm), docs: build(inlineStyle)}
}

// formsTo returns the Content-Security-Policy of a page whose form, once
// submitted, redirects to target: form-action allows this origin and
// exactly target's origin. Browsers apply form-action to every redirect
// that follows a form submission (CSP Level 3 §6.4.1; Chromium enforces
// it), so 'self' alone would strand the person on the page after signing
// out or registering. An origin that cannot be written as a source
// expression leaves form-action out, as on the authorization endpoint.
func (s *securityHeaders) formsTo(target string) string {
	origin := sourceOrigin(target)
	out := make([]string, 0, len(s.csp))
	for _, d := range s.csp {
		if strings.HasPrefix(d, "form-action ") {
			if origin == "" {
				continue
			}
			d = "form-action 'self' " + origin
		}
		out = append(out, d)
	}
	return strings.Join(out, "; ")
}

// sourceOrigin is target's origin as a CSP source expression
// (scheme://host[:port], or scheme: for a private-use scheme of a native
// application, RFC 8252 §7.1), or "" when target has none that is safe to
// write into the header.
func sourceOrigin(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" {
		return ""
	}
	for _, c := range u.Scheme + u.Host {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-+:[]", c)
		if !ok {
			return ""
		}
	}
	if u.Host == "" {
		if u.Scheme == "http" || u.Scheme == "https" {
			return ""
		}
		return strings.ToLower(u.Scheme) + ":"
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// allowFormsTo sets the policy of formsTo(target) on the response of a
// page whose form redirects to target.
func (h *Handler) allowFormsTo(w http.ResponseWriter, target string) {
	w.Header().Set("Content-Security-Policy", h.headers.formsTo(target))
}

// secure writes helmet's set of security headers on every response,
// errors and panics included, before anything else runs. The values are
// built once; each slice has capacity one, so a later Add on a response
// copies instead of writing into the shared value.
func (h *Handler) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set := h.headers.common
		switch {
		case strings.HasPrefix(r.URL.Path, authorizePath), strings.HasPrefix(r.URL.Path, upstreamPath):
			set = h.headers.authorize
		case strings.HasPrefix(r.URL.Path, docsPath):
			set = h.headers.docs
		}
		hdr := w.Header()
		for _, kv := range set {
			hdr[kv.key] = kv.value
		}
		next.ServeHTTP(w, r)
	})
}
