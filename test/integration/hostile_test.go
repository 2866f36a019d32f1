package integration_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

// hostileRequest is one request an attacker sends on the first day.
type hostileRequest struct {
	name    string
	method  string
	path    string
	ctype   string
	body    string
	headers map[string]string
	// bearer sends the admin token.
	bearer     bool
	wantStatus int
	wantError  string
	// wantField, when set, is the field the error must name.
	wantField string
}

func scopeNames(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "z%d", i)
	}
	return b.String()
}

func basic(user, pass string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
}

const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
)

func hostileRequests() []hostileRequest {
	return []hostileRequest{
		// Issue 10 part 4: bad bytes, on every kind of input.
		{"client_id %FF%FE at the token endpoint", "POST", "/oauth/token", formType, "grant_type=client_credentials&client_id=%FF%FE", nil, false, 400, "invalid_request", "client_id"},
		{"NUL in client_secret_post", "POST", "/oauth/token", formType, "grant_type=client_credentials&client_id=x&client_secret=a%00b", nil, false, 400, "invalid_request", "client_secret"},
		{"NUL in a parameter name", "POST", "/oauth/token", formType, "grant_type=client_credentials&a%00=1", nil, false, 400, "invalid_request", "parameter name"},
		{"invalid UTF-8 in Basic user", "POST", "/oauth/token", formType, "grant_type=client_credentials", basic("\xff\xfe", "secret"), false, 400, "invalid_request", "client_id"},
		{"form-encoded NUL in Basic secret", "POST", "/oauth/token", formType, "grant_type=client_credentials", basic("admin-client", "a%00b"), false, 400, "invalid_request", "client_secret"},
		{"NUL token at introspection", "POST", "/oauth/introspect", formType, "token=%00", basic("admin-client", "x"), false, 400, "invalid_request", "token"},
		{"invalid UTF-8 token at revocation", "POST", "/oauth/revoke", formType, "token=%C3%28", basic("admin-client", "x"), false, 400, "invalid_request", "token"},
		{"NUL in an e-mail at login", "POST", "/api/auth/login", jsonType, `{"email":"ada\u0000@example.com","password":"Correct-Horse-Battery-9"}`, nil, false, 400, "invalid_request", "email"},
		{"invalid UTF-8 in a password at login", "POST", "/api/auth/login", jsonType, "{\"email\":\"ada@example.com\",\"password\":\"\xff\"}", nil, false, 400, "invalid_request", "password"},
		{"lone surrogate in a name at register", "POST", "/api/auth/register", jsonType, `{"email":"eve@example.com","password":"Correct-Horse-Battery-9","first_name":"\ud800","last_name":"E"}`, nil, false, 400, "invalid_request", "first_name"},
		{"NUL in an e-mail at password reset", "POST", "/api/auth/password-reset", jsonType, `{"email":"ada@example.com\u0000"}`, nil, false, 400, "invalid_request", "email"},
		{"NUL in a client name", "POST", "/api/clients", jsonType, `{"name":"x\u0000","grant_types":["client_credentials"]}`, nil, true, 400, "invalid_request", "name"},
		{"invalid UTF-8 in a redirect URI", "POST", "/api/clients", jsonType, "{\"name\":\"x\",\"grant_types\":[\"authorization_code\"],\"redirect_uris\":[\"https://a.example/\xc0\"]}", nil, true, 400, "invalid_request", "redirect_uris"},
		{"NUL in a scope description", "POST", "/api/scopes", jsonType, `{"name":"hostile:scope","description":"\u0000"}`, nil, true, 400, "invalid_request", "description"},
		{"NUL in a path segment", "GET", "/api/clients/%00", "", "", nil, true, 400, "invalid_request", "path"},
		{"invalid UTF-8 in a path segment", "DELETE", "/api/scopes/%FF%FE", "", "", nil, true, 400, "invalid_request", "path"},
		{"invalid UTF-8 in the query", "GET", "/api/clients?cursor=%FF", "", "", nil, true, 400, "invalid_request", "cursor"},
		{"invalid UTF-8 client_id at authorize", "GET", "/oauth/authorize?response_type=code&client_id=%FF%FE", "", "", nil, false, 400, "invalid_request", "client_id"},
		{"NUL in the sign-in form", "POST", "/oauth/authorize?response_type=code&client_id={web}", formType, "email=a%00&password=x", nil, false, 400, "invalid_request", "email"},

		// Issue 10 part 2: one request must not buy a core for seconds.
		{"100,000 scope names", "POST", "/oauth/token", formType, "client_id=identity-web&grant_type=refresh_token&refresh_token=x&scope=" + url.QueryEscape(scopeNames(100000)), nil, false, 400, "invalid_scope", ""},
		{"101 scope names", "POST", "/oauth/token", formType, "grant_type=client_credentials&scope=" + url.QueryEscape(scopeNames(101)), basic("admin-client", "Admin-Client-Secret-0123456789-abcdef"), false, 400, "invalid_scope", ""},
		{"101 scope names at authorize", "GET", "/oauth/authorize?response_type=code&client_id={web}&scope=" + url.QueryEscape(scopeNames(101)), "", "", nil, false, 302, "invalid_scope", ""},
		{"a body over 1 MiB", "POST", "/api/auth/login", jsonType, `{"email":"` + strings.Repeat("a", 1<<20) + `"}`, nil, false, 413, "request_too_large", ""},
		{"JSON nested 100,000 deep", "POST", "/api/clients", jsonType, strings.Repeat("[", 100000), nil, true, 400, "invalid_request", ""},
		{"a form body over 1 MiB", "POST", "/oauth/token", formType, "grant_type=" + strings.Repeat("a", 1<<20), nil, false, 413, "request_too_large", ""},

		// Issue 10 part 1: escalation through the management API.
		{"point identity-web elsewhere", "PUT", "/api/clients/identity-web", jsonType, `{"name":"w","grant_types":["authorization_code"],"redirect_uris":["https://evil.example/cb"],"public":true,"first_party":true}`, nil, true, 403, "forbidden", ""},
		{"delete identity-web", "DELETE", "/api/clients/identity-web", "", "", nil, true, 403, "forbidden", ""},
		{"re-key the bootstrap client", "POST", "/api/clients/admin-client/regenerate-secret", "", "", nil, true, 403, "forbidden", ""},
		{"delete a management scope's name space", "POST", "/api/scopes", jsonType, `{"name":"clients:superuser"}`, nil, true, 403, "forbidden", ""},

		// Kin: forged and malformed credentials.
		{"alg none token", "GET", "/api/clients", "", "", map[string]string{"Authorization": "Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJ4In0."}, false, 401, "invalid_token", ""},
		{"Bearer of 64 KiB", "GET", "/api/clients", "", "", map[string]string{"Authorization": "Bearer " + strings.Repeat("a.", 32<<10)}, false, 401, "invalid_token", ""},
		{"Basic that is not base64", "POST", "/oauth/token", formType, "grant_type=client_credentials", map[string]string{"Authorization": "Basic %%%"}, false, 401, "invalid_client", ""},
	}
}

// storeSnapshot is what a hostile request must not change: every client,
// every scope, and the audit log.
func storeSnapshot(t *testing.T, s *peopleServer, admin string) string {
	t.Helper()
	var parts []string
	for _, path := range []string{"/api/clients?limit=200", "/api/scopes?limit=200"} {
		resp, body := s.Do(t, http.MethodGet, path, admin, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		parts = append(parts, string(body))
	}
	var events []string
	for _, e := range auditEvents(t, s.Server, s.audit) {
		if e.Type == core.AuditTokenIssued && e.ClientID == "admin-client" {
			continue // the snapshot's own token
		}
		events = append(events, e.Type+" "+e.ClientID+" "+e.SubjectID)
	}
	sort.Strings(events)
	return strings.Join(append(parts, events...), "\n")
}

// The inputs of issue 10 and their kin, against the running server: each
// answers its 4xx with the field named, quickly, stores nothing, and logs
// no error. Runs on memory and, with TEST_BACKEND=postgres, on PostgreSQL
// and Redis, where bad bytes used to reach the driver.
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"RATE_LIMIT_ENABLED": "false"})
	register(t, s.Server, "ada@example.com", userPassword)
	web := newWebClient(t, s.Server, false, false, []string{callback})
	admin := s.AdminToken(t)
	require.NoError(t, s.queue.Flush(t.Context()))
	before := storeSnapshot(t, s, admin)

	for _, tt := range hostileRequests() {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.URL+strings.ReplaceAll(tt.path, "{web}", web.ID), strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.bearer {
				req.Header.Set("Authorization", "Bearer "+admin)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			start := time.Now()
			resp, err := s.HTTP.Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			// A generous bound, for a loaded machine: what it catches costs
			// minutes (a quadratic scan of 100,000 scope names took 112 s).
			assert.Less(t, time.Since(start), 10*time.Second, "one request costs little")
			require.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			switch {
			case resp.StatusCode == http.StatusFound:
				loc, err := url.Parse(resp.Header.Get("Location"))
				require.NoError(t, err)
				assert.Equal(t, tt.wantError, loc.Query().Get("error"), "the error goes back to the client")
				return
			case strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"):
				assert.Contains(t, string(body), tt.wantError)
				assert.Contains(t, string(body), tt.wantField+": ", "the page names the field")
				return
			}
			e := decode[errBody](t, body)
			assert.Equal(t, tt.wantError, e.Error, string(body))
			if tt.wantField != "" {
				assert.Contains(t, e.Fields, tt.wantField, string(body))
			}
		})
	}

	require.NoError(t, s.queue.Flush(t.Context()))
	assert.Equal(t, before, storeSnapshot(t, s, admin), "no hostile request changed the store")
	assert.NotContains(t, s.Logs(), `"level":"ERROR"`, "no hostile request logs an error")
}
