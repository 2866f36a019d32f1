package openapitest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/test/openapitest"
)

// recorder is a testing.TB that collects Errorf calls instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

const scopeJSON = `{"id":"s1","name":"orders:read","description":"Read orders","created_at":"2026-01-02T15:04:05Z","updated_at":"2026-01-02T15:04:05Z"}`

// fakeServer answers a few endpoints, some in line with the document and
// some not.
func fakeServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("X-Request-Id", "req-1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		write(w, http.StatusOK, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /api/scopes/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("id") {
		case "good":
			write(w, http.StatusOK, scopeJSON)
		case "missing-field":
			write(w, http.StatusOK, `{"id":"s1","name":"orders:read"}`)
		case "teapot":
			write(w, http.StatusTeapot, `{"error":"teapot","error_description":"short and stout"}`)
		default:
			write(w, http.StatusNotFound, `{"error":"not_found","error_description":"no such scope"}`)
		}
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") == "" {
			write(w, http.StatusBadRequest, `{"error":"invalid_request","error_description":"grant_type is required"}`)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		write(w, http.StatusOK, `{"access_token":"a.b.c","token_type":"Bearer","expires_in":900,"scope":"orders:read"}`)
	})
	mux.HandleFunc("GET /api/auth/me", func(w http.ResponseWriter, _ *http.Request) {
		// No WWW-Authenticate: the contract requires it on 401.
		write(w, http.StatusUnauthorized, `{"error":"invalid_token","error_description":"no token"}`)
	})
	mux.HandleFunc("GET /api-docs", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Request-Id", "req-1")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!DOCTYPE html><title>docs</title>")
	})
	mux.HandleFunc("GET /oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-1")
		if r.URL.Query().Get("no_location") != "" {
			w.WriteHeader(http.StatusFound)
			return
		}
		http.Redirect(w, r, "https://client.example/cb?code=abc&state=xyz", http.StatusFound)
	})
	mux.HandleFunc("GET /undocumented", func(w http.ResponseWriter, _ *http.Request) {
		write(w, http.StatusOK, `{}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRoundTripper(t *testing.T) {
	srv := fakeServer(t)
	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		giveBody   string
		wantStatus int
		wantBody   string
		wantErrs   []string
	}{
		{name: "conforming", giveMethod: http.MethodGet, givePath: "/api/scopes/good", wantStatus: http.StatusOK, wantBody: scopeJSON},
		{name: "conforming error", giveMethod: http.MethodGet, givePath: "/api/scopes/nope", wantStatus: http.StatusNotFound},
		{name: "health", giveMethod: http.MethodGet, givePath: "/healthz", wantStatus: http.StatusOK, wantBody: `{"status":"ok"}`},
		{name: "form body reaches the server", giveMethod: http.MethodPost, givePath: "/oauth/token", giveBody: "grant_type=client_credentials", wantStatus: http.StatusOK},
		{name: "unknown path answering 404", giveMethod: http.MethodGet, givePath: "/no/such/thing", wantStatus: http.StatusNotFound},
		{name: "html with charset", giveMethod: http.MethodGet, givePath: "/api-docs", wantStatus: http.StatusOK},
		{name: "redirect", giveMethod: http.MethodGet, givePath: "/oauth/authorize?response_type=code&client_id=c", wantStatus: http.StatusFound},
		{
			name: "redirect without Location", giveMethod: http.MethodGet, givePath: "/oauth/authorize?no_location=1",
			wantStatus: http.StatusFound, wantErrs: []string{"-> 302", "Location"},
		},
		{
			name: "missing required field", giveMethod: http.MethodGet, givePath: "/api/scopes/missing-field",
			wantStatus: http.StatusOK, wantBody: `{"id":"s1","name":"orders:read"}`,
			wantErrs: []string{"GET /api/scopes/missing-field -> 200", "response body doesn't match schema"},
		},
		{
			name: "undocumented status", giveMethod: http.MethodGet, givePath: "/api/scopes/teapot",
			wantStatus: http.StatusTeapot, wantErrs: []string{"-> 418", "status is not supported"},
		},
		{
			name: "missing required header", giveMethod: http.MethodGet, givePath: "/api/auth/me",
			wantStatus: http.StatusUnauthorized, wantErrs: []string{"-> 401", "WWW-Authenticate"},
		},
		{
			name: "undocumented path", giveMethod: http.MethodGet, givePath: "/undocumented",
			wantStatus: http.StatusOK, wantErrs: []string{"GET /undocumented -> 200", "not in the OpenAPI document"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			v := openapitest.New(rec)
			client := &http.Client{
				Transport:     v.RoundTripper(nil),
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}
			var body io.Reader
			if tt.giveBody != "" {
				body = strings.NewReader(tt.giveBody)
			}
			req, err := http.NewRequestWithContext(t.Context(), tt.giveMethod, srv.URL+tt.givePath, body)
			require.NoError(t, err)
			if tt.giveBody != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)

			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			if tt.wantBody != "" {
				assert.Equal(t, tt.wantBody, string(got), "the body is handed on unchanged")
			}
			errs := rec.errors()
			if len(tt.wantErrs) == 0 {
				assert.Empty(t, errs)
				return
			}
			require.Len(t, errs, 1)
			for _, want := range tt.wantErrs {
				assert.Contains(t, errs[0], want)
			}
		})
	}
}

func TestValidateRequests(t *testing.T) {
	srv := fakeServer(t)
	rec := &recorder{TB: t}
	v := openapitest.New(rec).ValidateRequests(true)
	client := &http.Client{Transport: v.RoundTripper(http.DefaultTransport)}

	// grant_type is required by the document; the server answers 400 as
	// documented, but the request itself is reported.
	resp, err := client.Post(srv.URL+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader("scope=x"))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	errs := rec.errors()
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "request:")
	assert.Contains(t, errs[0], "grant_type")
}

func TestSkip(t *testing.T) {
	srv := fakeServer(t)
	rec := &recorder{TB: t}
	v := openapitest.New(rec).Skip("/undocumented")
	client := &http.Client{Transport: v.RoundTripper(nil)}
	resp, err := client.Get(srv.URL + "/undocumented")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Empty(t, rec.errors())
}

func TestOnly(t *testing.T) {
	srv := fakeServer(t)
	other := fakeServer(t)
	rec := &recorder{TB: t}
	v := openapitest.New(rec).Only(srv.URL)
	client := &http.Client{Transport: v.RoundTripper(nil)}

	resp, err := client.Get(other.URL + "/undocumented")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Empty(t, rec.errors(), "another host is not validated")

	resp, err = client.Get(srv.URL + "/undocumented")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Len(t, rec.errors(), 1)
}

func TestCoverage(t *testing.T) {
	srv := fakeServer(t)
	v := openapitest.New(t)
	before := v.Coverage()
	assert.Contains(t, before, "GET /healthz")
	assert.Contains(t, before, "GET /api/scopes/{id}")

	client := &http.Client{Transport: v.RoundTripper(nil)}
	for _, path := range []string{"/healthz", "/api/scopes/good"} {
		resp, err := client.Get(srv.URL + path)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	after := v.Coverage()
	assert.NotContains(t, after, "GET /healthz")
	assert.NotContains(t, after, "GET /api/scopes/{id}")
	assert.Contains(t, after, "POST /oauth/token")
	assert.Len(t, after, len(before)-2)
}
