package http

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/identityd/identityd/test/fuzzcost"
)

// Fuzz targets for every parser of outside input at the HTTP edge. Each
// checks that one input never panics, that what is accepted is text, and
// that one input costs bounded time. Seeds live in testdata/fuzz; make
// fuzz runs each target for a few seconds.

// FuzzReadParams: the form body of every OAuth endpoint and of the sign-in
// pages (readParams, parseForm).
func FuzzReadParams(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fuzzcost.Within(t, "readParams", func() {
			p, err := readParams(httptest.NewRecorder(), r)
			if err != nil {
				return
			}
			for k, v := range p {
				if !isText(k) || !isText(v) {
					t.Fatalf("accepted a parameter that is not text: %q=%q", k, v)
				}
			}
		})
	})
}

type accountBody struct {
	Email           string  `json:"email"`
	Password        string  `json:"password"`
	FirstName       *string `json:"first_name"`
	LastName        *string `json:"last_name"`
	CurrentPassword string  `json:"current_password"`
	Token           string  `json:"token"`
}

// FuzzDecodeJSON: the JSON body of every /api endpoint (decodeJSON into
// the management inputs and the account fields).
func FuzzDecodeJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		targets := []any{&clientInput{}, &scopeInput{}, &accountBody{}, &map[string]any{}}
		for _, v := range targets {
			r := httptest.NewRequest(http.MethodPost, "/api/clients", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			fuzzcost.Within(t, "decodeJSON", func() {
				if err := decodeJSON(httptest.NewRecorder(), r, v); err != nil {
					return
				}
				if a, ok := v.(*accountBody); ok && (!isText(a.Email) || !isText(a.Password) || !isText(a.Token)) {
					t.Fatalf("accepted account fields that are not text: %+v", a)
				}
			})
		}
	})
}

// FuzzCheckJSONText: the check itself agrees with the decoder: what it
// passes never decodes to a NUL.
func FuzzCheckJSONText(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzcost.Within(t, "checkJSONText", func() {
			if checkJSONText(body) != nil {
				return
			}
			var b accountBody
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			if decodeJSON(httptest.NewRecorder(), r, &b) == nil && strings.ContainsRune(b.Email+b.Password+b.Token, 0) {
				t.Fatalf("a NUL passed the check: %q", body)
			}
		})
	})
}

// FuzzAuthorizationHeader: Bearer and Basic credentials, and the edge
// check of path, query and credentials (cleanInput).
func FuzzAuthorizationHeader(f *testing.F) {
	h := &Handler{}
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	f.Fuzz(func(t *testing.T, header, rawQuery string) {
		r := httptest.NewRequest(http.MethodGet, "/api/clients", nil)
		r.Header["Authorization"] = []string{header}
		r.URL.RawQuery = rawQuery
		fuzzcost.Within(t, "credentials", func() {
			if tok, ok := bearerToken(r); ok && tok == "" {
				t.Fatal("an empty bearer token was accepted")
			}
			_ = claimedClientID(r, nil)
			passed := false
			w := httptest.NewRecorder()
			h.cleanInput(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { passed = true; next(w, r) })).ServeHTTP(w, r)
			if !passed {
				return
			}
			if user, pass, ok := r.BasicAuth(); ok {
				if id, err := url.QueryUnescape(user); err == nil && !isText(id) {
					t.Fatalf("a Basic user that is not text passed: %q", id)
				}
				if secret, err := url.QueryUnescape(pass); err == nil && !isText(secret) {
					t.Fatalf("a Basic password that is not text passed: %q", secret)
				}
			}
		})
	})
}

// FuzzSessionCookies: the session, CSRF and device cookies a browser
// sends back; none is accepted without the server's signature.
func FuzzSessionCookies(f *testing.F) {
	s := newSessions(SessionConfig{Key: []byte("0123456789abcdef0123456789abcdef"), TTL: time.Hour})
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, session, csrf, device, token string) {
		r := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
		r.Header.Set("Cookie", "identityd_session="+session+"; identityd_csrf="+csrf+"; identityd_device="+device)
		fuzzcost.Within(t, "cookies", func() {
			if id, _, _, ok := s.userID(r, now); ok {
				t.Fatalf("a session cookie without the server's signature was accepted: %q -> %q", session, id)
			}
			if s.checkCSRF(r, token) {
				c, err := r.Cookie(s.csrfCookie)
				if err != nil || token != b64(s.mac("csrf", c.Value)) {
					t.Fatalf("a CSRF token that is not the seed's MAC was accepted: %q", token)
				}
			}
			if id, ok := s.device(r); ok {
				c, err := r.Cookie(s.deviceCookie)
				if err != nil || c.Value != id+"."+b64(s.mac("device", id)) {
					t.Fatalf("a device cookie without the server's signature was accepted: %q", device)
				}
			}
		})
	})
}
