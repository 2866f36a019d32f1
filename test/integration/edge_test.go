package integration_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

func TestForwardedForFromUntrustedPeerChangesNothing(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_GLOBAL": "2/1h"})
	for _, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		resp, _ := send(t, http.MethodGet, s.URL+"/.well-known/jwks.json", map[string]string{"X-Forwarded-For": ip}, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp, body := send(t, http.MethodGet, s.URL+"/.well-known/jwks.json", map[string]string{"X-Forwarded-For": "198.51.100.3"}, "")
	assertLimited(t, resp, body, 2)
	assert.Contains(t, s.Logs(), `"ip":"127.0.0.1"`)
	assert.NotContains(t, s.Logs(), "198.51.100.3")
}

func TestForwardedForFromTrustedProxyIsHonoured(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_GLOBAL": "2/1h", "TRUSTED_PROXIES": "127.0.0.1/32"})
	for range 2 {
		resp, _ := send(t, http.MethodGet, s.URL+"/.well-known/jwks.json", map[string]string{"X-Forwarded-For": "198.51.100.1"}, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp, body := send(t, http.MethodGet, s.URL+"/.well-known/jwks.json", map[string]string{"X-Forwarded-For": "198.51.100.1"}, "")
	assertLimited(t, resp, body, 2)

	resp, _ = send(t, http.MethodGet, s.URL+"/.well-known/jwks.json", map[string]string{"X-Forwarded-For": "198.51.100.2"}, "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "another client behind the proxy has its own budget")

	// A client behind the proxy prepending an address of its choice is
	// still counted by the address the proxy saw.
	resp, body = send(t, http.MethodGet, s.URL+"/.well-known/jwks.json", map[string]string{"X-Forwarded-For": "203.0.113.9, 198.51.100.1"}, "")
	assertLimited(t, resp, body, 2)
	assert.Contains(t, s.Logs(), `"ip":"198.51.100.2"`)
}

var securityHeaders = map[string]string{
	"X-Content-Type-Options":            "nosniff",
	"X-Frame-Options":                   "DENY",
	"Referrer-Policy":                   "no-referrer",
	"Cross-Origin-Opener-Policy":        "same-origin",
	"Cross-Origin-Resource-Policy":      "same-origin",
	"X-Dns-Prefetch-Control":            "off",
	"X-Download-Options":                "noopen",
	"X-Permitted-Cross-Domain-Policies": "none",
	"Origin-Agent-Cluster":              "?1",
}

func assertSecurityHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	for k, v := range securityHeaders {
		assert.Equal(t, v, resp.Header.Get(k), k)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'"} {
		assert.Contains(t, csp, d)
	}
	assert.NotContains(t, csp, "unsafe-inline")
	assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil, testRoutes())
	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		giveBody   string
		wantStatus int
		wantType   string
	}{
		{"JSON", http.MethodGet, "/healthz", "", http.StatusOK, "application/json"},
		{"HTML", http.MethodGet, "/test/page", "", http.StatusOK, "text/html; charset=utf-8"},
		{"not found", http.MethodGet, "/nope", "", http.StatusNotFound, "application/json"},
		{"unauthorized", http.MethodGet, "/api/scopes", "", http.StatusUnauthorized, "application/json"},
		{"OAuth error", http.MethodPost, "/oauth/token", "grant_type=x", http.StatusUnauthorized, "application/json"},
		{"panic", http.MethodGet, "/test/panic", "", http.StatusInternalServerError, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, tt.giveMethod, s.URL+tt.givePath, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, tt.giveBody)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			assert.Equal(t, tt.wantType, resp.Header.Get("Content-Type"))
			assertSecurityHeaders(t, resp)
			assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "form-action 'self'")
			assert.Empty(t, resp.Header.Get("Strict-Transport-Security"), "HSTS only in production")
		})
	}
}

func TestSecurityHeadersInProduction(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"APP_ENV": "production", "ISSUER_URL": "https://id.example.com"})
	resp, _ := s.Do(t, http.MethodGet, "/healthz", "", nil)
	assertSecurityHeaders(t, resp)
	assert.Equal(t, "max-age=31536000; includeSubDomains", resp.Header.Get("Strict-Transport-Security"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "upgrade-insecure-requests")

	resp, _ = s.Do(t, http.MethodGet, "/oauth/authorize?client_id=x", "", nil)
	assertSecurityHeaders(t, resp)
	assert.NotContains(t, resp.Header.Get("Content-Security-Policy"), "form-action",
		"browsers apply form-action to the redirect after the login form; it would block the way back to the client")
}

func TestPanicIsA500WithoutInternals(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil, testRoutes())
	resp, body := send(t, http.MethodGet, s.URL+"/test/panic", map[string]string{"X-Request-Id": "panic-1"}, "")
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	eb := decode[errBody](t, body)
	assert.Equal(t, "server_error", eb.Error)
	assert.NotContains(t, string(body), "hunter2")
	assert.NotContains(t, string(body), "secret internals")
	assert.Equal(t, "panic-1", resp.Header.Get("X-Request-Id"))
	assert.Contains(t, s.Logs(), `"request_id":"panic-1"`, "the panic is logged with the request id")

	resp, _ = s.Do(t, http.MethodGet, "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the server keeps serving")
}

func TestCORS(t *testing.T) {
	t.Parallel()
	const allowed, denied = "https://app.example.com", "https://evil.example.com"
	s := apptest.Start(t, map[string]string{"CORS_ORIGIN": allowed + ", https://admin.example.com"})

	t.Run("allowed origin", func(t *testing.T) {
		resp, _ := send(t, http.MethodGet, s.URL+"/healthz", map[string]string{"Origin": allowed}, "")
		assert.Equal(t, allowed, resp.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, resp.Header.Values("Vary"), "Origin")
		assert.Contains(t, resp.Header.Get("Access-Control-Expose-Headers"), "RateLimit-Remaining")
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
	})
	t.Run("allowed origin on an error", func(t *testing.T) {
		resp, _ := send(t, http.MethodGet, s.URL+"/api/scopes", map[string]string{"Origin": allowed}, "")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Equal(t, allowed, resp.Header.Get("Access-Control-Allow-Origin"), "scripts may read the error")
	})
	t.Run("denied origin", func(t *testing.T) {
		resp, _ := send(t, http.MethodGet, s.URL+"/healthz", map[string]string{"Origin": denied}, "")
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, resp.Header.Values("Vary"), "Origin")
	})
	t.Run("preflight allowed", func(t *testing.T) {
		resp, _ := send(t, http.MethodOptions, s.URL+"/api/clients", map[string]string{
			"Origin": allowed, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type",
		}, "")
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		assert.Equal(t, allowed, resp.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
		assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")
		assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type")
		assert.NotEmpty(t, resp.Header.Get("Access-Control-Max-Age"))
		assertSecurityHeaders(t, resp)
	})
	t.Run("preflight denied", func(t *testing.T) {
		resp, _ := send(t, http.MethodOptions, s.URL+"/api/clients", map[string]string{"Origin": denied, "Access-Control-Request-Method": "POST"}, "")
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Methods"))
	})
	t.Run("never a wildcard", func(t *testing.T) {
		resp, _ := send(t, http.MethodGet, s.URL+"/healthz", map[string]string{"Origin": "null"}, "")
		assert.NotEqual(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	})
}

func TestNoCORSWithoutConfiguration(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	resp, _ := send(t, http.MethodGet, s.URL+"/healthz", map[string]string{"Origin": "https://app.example.com"}, "")
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	resp, _ = send(t, http.MethodOptions, s.URL+"/api/clients", map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}, "")
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.NotEqual(t, http.StatusNoContent, resp.StatusCode)
}

func TestRequestBodies(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	hdr := func(ct string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + admin, "Content-Type": ct}
	}
	tests := []struct {
		name       string
		givePath   string
		giveType   string
		giveBody   string
		wantStatus int
		wantError  string
		wantFields map[string]string
	}{
		{"too large", "/api/scopes", "application/json", `{"name":"a","description":"` + strings.Repeat("x", 1<<20) + `"}`, http.StatusRequestEntityTooLarge, "request_too_large", nil},
		{"not JSON", "/api/scopes", "text/plain", `{"name":"a"}`, http.StatusUnsupportedMediaType, "unsupported_media_type", nil},
		{"malformed", "/api/scopes", "application/json", `{"name":`, http.StatusBadRequest, "invalid_request", nil},
		{"not an object", "/api/scopes", "application/json", `["a"]`, http.StatusBadRequest, "invalid_request", nil},
		{"empty", "/api/scopes", "application/json", ``, http.StatusBadRequest, "invalid_request", nil},
		{"unknown field", "/api/scopes", "application/json", `{"name":"a","admin":true}`, http.StatusBadRequest, "invalid_request",
			map[string]string{"admin": "is not a known field"}},
		{"wrong type", "/api/scopes", "application/json", `{"name":5}`, http.StatusBadRequest, "invalid_request",
			map[string]string{"name": "must be of type string"}},
		{"scope: every field named", "/api/scopes", "application/json", `{"description":"` + strings.Repeat("d", 1025) + `"}`, http.StatusBadRequest, "invalid_request",
			map[string]string{"name": "is required", "description": "must be at most 1024 characters"}},
		{"scope: bad name", "/api/scopes", "application/json", `{"name":"has space"}`, http.StatusBadRequest, "invalid_request",
			map[string]string{"name": `must be 1 to 128 printable ASCII characters without space, '"' or '\' (RFC 6749 §3.3)`}},
		{"client: every field named", "/api/clients", "application/json",
			`{"name":"","grant_types":[],"redirect_uris":["ftp://x/cb"],"scopes":["bad scope"]}`, http.StatusBadRequest, "invalid_request",
			map[string]string{
				"name": "is required", "grant_types": "is required: name at least one grant type",
				"redirect_uris": "redirect URI must use https (http only for loopback): ftp://x/cb", "scopes": "invalid scope name: bad scope",
			}},
		{"client: null body", "/api/clients", "application/json", `null`, http.StatusBadRequest, "invalid_request",
			map[string]string{"name": "is required", "grant_types": "is required: name at least one grant type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, http.MethodPost, s.URL+tt.givePath, hdr(tt.giveType), tt.giveBody)
			require.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			eb := decode[errBody](t, body)
			assert.Equal(t, tt.wantError, eb.Error)
			assert.NotEmpty(t, eb.Description)
			if tt.wantFields != nil {
				assert.Equal(t, tt.wantFields, eb.Fields)
			}
			assertSecurityHeaders(t, resp)
		})
	}
}
