package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/test/openapitest"
)

// Test credentials of the bootstrap admin client.
const (
	AdminClientID     = "admin-client"
	AdminClientSecret = "Admin-Client-Secret-0123456789-abcdef"
	JWTSecret         = "Test-JWT-Secret-0123456789-abcdefghij!"
	JWTRefreshSecret  = "Test-Refresh-Secret-0123456789-abcdefg!"
)

// Clock is the real clock plus an offset tests can advance.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now implements ports.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.offset)
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

var _ ports.Clock = (*Clock)(nil)

// Server is a running application.
type Server struct {
	URL string
	// HTTP is a client whose every response is checked against the
	// OpenAPI document; it does not follow redirects.
	HTTP   *http.Client
	Clock  *Clock
	Config app.Config
	logs   *syncBuffer
	app    *fx.App
}

// Logs returns everything logged so far.
func (s *Server) Logs() string { return s.logs.String() }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// Env is the configuration of a test server: these defaults, overridden by
// the given variables.
func Env(port int, overrides map[string]string) map[string]string {
	env := map[string]string{
		"APP_ENV":                       "test",
		"PORT":                          fmt.Sprint(port),
		"JWT_SECRET":                    JWTSecret,
		"JWT_REFRESH_SECRET":            JWTRefreshSecret,
		"BCRYPT_COST":                   "10",
		"LOG_LEVEL":                     "debug",
		"BOOTSTRAP_ADMIN_CLIENT_ID":     AdminClientID,
		"BOOTSTRAP_ADMIN_CLIENT_SECRET": AdminClientSecret,
	}
	for k, v := range overrides {
		env[k] = v
	}
	return env
}

// EnvBackend names the store the test servers run on: "memory" (the
// default) or "postgres" (PostgreSQL and Redis from TEST_DATABASE_URL and
// TEST_REDIS_URL, a fresh schema and key prefix per server).
const EnvBackend = "TEST_BACKEND"

// BackendEnv returns the variables that put a test server on the backend
// TEST_BACKEND names; none for memory. A test whose overrides name
// DATABASE_URL itself keeps them.
func BackendEnv(t testing.TB) map[string]string {
	t.Helper()
	switch b := os.Getenv(EnvBackend); b {
	case "", "memory":
		return nil
	case "postgres":
		redisURL, prefix := redistest.New(t)
		return map[string]string{"DATABASE_URL": pgtest.NewSchema(t), "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix}
	default:
		t.Fatalf("%s=%q: want memory or postgres", EnvBackend, b)
		return nil
	}
}

// ServerEnv is Env(port, overrides) on the backend TEST_BACKEND names.
func ServerEnv(t testing.TB, port int, overrides map[string]string) map[string]string {
	t.Helper()
	if _, own := overrides["DATABASE_URL"]; own {
		return Env(port, overrides)
	}
	merged := BackendEnv(t)
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range overrides {
		merged[k] = v
	}
	return Env(port, merged)
}

// Start runs the application with ServerEnv(port, overrides) until the
// test ends. extra fx options are appended to the graph.
func Start(t testing.TB, overrides map[string]string, extra ...fx.Option) *Server {
	t.Helper()
	return StartWithGrants(t, overrides, app.GrantModules, extra...)
}

// StartWithGrants is Start with grantModules installed instead of
// app.GrantModules.
func StartWithGrants(t testing.TB, overrides map[string]string, grantModules []fx.Option, extra ...fx.Option) *Server {
	t.Helper()
	port := FreePort(t)
	env := ServerEnv(t, port, overrides)
	cfg, err := app.LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Clock: &Clock{}, Config: cfg, logs: &syncBuffer{}}
	s.HTTP = &http.Client{
		Transport:     openapitest.New(t).Only(s.URL).RoundTripper(nil),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	logger := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: cfg.Log.Level}))
	opts := append([]fx.Option{fx.Decorate(func(ports.Clock) ports.Clock { return s.Clock })}, extra...)
	s.app = app.NewWithGrants(cfg, logger, io.Discard, grantModules, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.app.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.app.Stop(ctx)
	})
	return s
}

// TokenResponse is a token endpoint answer or error.
type TokenResponse struct {
	Status           int
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// ClientCredentials asks the token endpoint for a client_credentials token
// with Basic authentication.
func (s *Server) ClientCredentials(t testing.TB, id, secret, scope string) TokenResponse {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/oauth/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := s.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var tr TokenResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))
	tr.Status = resp.StatusCode
	return tr
}

// AdminToken returns an access token of the bootstrap admin client with
// every management scope.
func (s *Server) AdminToken(t testing.TB) string {
	t.Helper()
	tr := s.ClientCredentials(t, AdminClientID, AdminClientSecret, "")
	require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	return tr.AccessToken
}

// Do sends a request with an optional Bearer token and JSON body (any
// value; a string is sent as is) and returns the response with its body
// read.
func (s *Server) Do(t testing.TB, method, path, token string, body any) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

// PostForm posts a form to path with optional Basic credentials.
func (s *Server) PostForm(t testing.TB, path, id, secret string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := s.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}
