package bench_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/hashing"
	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// handlerFixture is the application on in-memory adapters, its root
// handler, and a confidential client holding the scope bench:read.
type handlerFixture struct {
	h      http.Handler
	basic  string
	server *apptest.Server
}

func newHandlerFixture(b *testing.B) handlerFixture {
	b.Helper()
	var srv *app.Server
	s := apptest.Start(b, map[string]string{"LOG_LEVEL": "warn", "RATE_LIMIT_ENABLED": "false"}, fx.Populate(&srv))
	admin := s.AdminToken(b)
	resp, body := s.Do(b, http.MethodPost, "/api/scopes", admin, map[string]string{"name": "bench:read", "description": "benchmark"})
	require.Equal(b, http.StatusCreated, resp.StatusCode, string(body))
	resp, body = s.Do(b, http.MethodPost, "/api/clients", admin, map[string]any{
		"name": "bench", "grant_types": []string{"client_credentials"}, "scopes": []string{"bench:read"},
	})
	require.Equal(b, http.StatusCreated, resp.StatusCode, string(body))
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	require.NoError(b, json.Unmarshal(body, &c))
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ID)+":"+url.QueryEscape(c.Secret)))
	return handlerFixture{h: srv.Handler(), basic: basic, server: s}
}

// post serves one form POST through the root handler, with no network.
func (f handlerFixture) post(b *testing.B, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", f.basic)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s answered %d: %s", path, rec.Code, rec.Body)
	}
	return rec
}

// BenchmarkTokenEndpointClientCredentials is the whole token endpoint for
// client_credentials with Basic authentication: routing, middleware, form
// parsing, client authentication, scope checks, signing, the token write
// and the JSON response.
func BenchmarkTokenEndpointClientCredentials(b *testing.B) {
	f := newHandlerFixture(b)
	body := "grant_type=client_credentials&scope=bench%3Aread"
	b.ReportAllocs()
	for b.Loop() {
		f.post(b, "/oauth/token", body)
	}
}

// BenchmarkIntrospectEndpoint is the whole introspection endpoint for a
// valid JWT.
func BenchmarkIntrospectEndpoint(b *testing.B) {
	f := newHandlerFixture(b)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	rec := f.post(b, "/oauth/token", "grant_type=client_credentials&scope=bench%3Aread")
	require.NoError(b, json.Unmarshal(rec.Body.Bytes(), &tok))
	body := "token=" + url.QueryEscape(tok.AccessToken)
	b.ReportAllocs()
	for b.Loop() {
		f.post(b, "/oauth/introspect", body)
	}
}

// BenchmarkParseScope parses a typical scope parameter.
func BenchmarkParseScope(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := core.ParseScope("openid profile email orders:read orders:write"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientSecretVerify is the client secret check: HMAC-SHA-256
// under the server key and a constant-time compare.
func BenchmarkClientSecretVerify(b *testing.B) {
	h := hashing.NewHMAC([]byte(apptest.JWTRefreshSecret))
	const secret = "k7Jx8yUq3v0r9Pz2Lw5Nb1Hc4Ad6Fe8Gi0Kj2Ml4No"
	stored := h.Hash(secret)
	b.ReportAllocs()
	for b.Loop() {
		if !h.Equal(stored, secret) {
			b.Fatal("mismatch")
		}
	}
}

// BenchmarkBcryptCompare is one password check at the lowest accepted
// cost: the whole of a login's irreducible work.
func BenchmarkBcryptCompare(b *testing.B) {
	h := hashing.NewBcrypt(hashing.MinBcryptCost)
	hash, err := h.Hash("correct horse battery staple")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Compare(hash, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
