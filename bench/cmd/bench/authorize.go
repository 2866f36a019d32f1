package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// codeFlow obtains authorization codes the way a browser does: GET
// /oauth/authorize, the login form, the consent form if one is shown, then
// the redirect carrying the code. After the first code the session cookie
// makes each further code one request.
type codeFlow struct {
	api               *api // with a cookie jar
	clientID          string
	redirectURI       string
	verifier          string
	email, password   string
	authorizeRequests string
}

func newCodeFlow(a *api, clientID, redirectURI, email, password string) *codeFlow {
	verifier := "bench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirectURI},
		"state":                 {"bench"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	return &codeFlow{api: a, clientID: clientID, redirectURI: redirectURI, verifier: verifier,
		email: email, password: password, authorizeRequests: "/oauth/authorize?" + q.Encode()}
}

var (
	reForm   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	reInput  = regexp.MustCompile(`(?is)<(?:input|button)\b([^>]*)>`)
	reAttr   = regexp.MustCompile(`(?is)([a-z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	reApprov = regexp.MustCompile(`(?i)\bapprove\b`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range reAttr.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2] + a[3])
	}
	return m
}

// fill answers an HTML page's first form: email and password on the login
// page, consent=approve on the consent page, hidden fields (the CSRF
// token) as given.
func (f *codeFlow) fill(page string) (method, action string, form url.Values, ok bool) {
	m := reForm.FindStringSubmatch(page)
	if m == nil {
		return "", "", nil, false
	}
	fa := attrs(m[1])
	method = strings.ToUpper(fa["method"])
	if method == "" {
		method = http.MethodPost
	}
	form = url.Values{}
	for _, in := range reInput.FindAllStringSubmatch(m[2], -1) {
		a := attrs(in[1])
		name := a["name"]
		switch {
		case name == "":
		case name == "email" || name == "username":
			form.Set(name, f.email)
		case name == "password":
			form.Set(name, f.password)
		case name == "consent" && strings.Contains(strings.ToLower(in[0]), "button"):
			if reApprov.MatchString(a["value"]) {
				form.Set(name, "approve")
			}
		default:
			form.Set(name, a["value"])
		}
	}
	return method, fa["action"], form, true
}

// code runs the flow once and returns a fresh authorization code.
func (f *codeFlow) code(ctx context.Context) (string, error) {
	next, method, body := f.authorizeRequests, http.MethodGet, ""
	for step := 0; step < 8; step++ {
		h := map[string]string{}
		if body != "" {
			h["Content-Type"] = "application/x-www-form-urlencoded"
		}
		r, err := f.api.do(ctx, method, next, h, body)
		if err != nil {
			return "", err
		}
		if step == 0 && r.missing() {
			return "", unavailable("GET /oauth/authorize answered %d", r.Status)
		}
		base, err := url.Parse(f.api.base + "/oauth/authorize")
		if err != nil {
			return "", fmt.Errorf("parse base: %w", err)
		}
		switch {
		case r.Status >= 300 && r.Status < 400:
			loc, err := base.Parse(r.Header.Get("Location"))
			if err != nil {
				return "", fmt.Errorf("authorize redirect %q: %w", r.Header.Get("Location"), err)
			}
			if strings.HasPrefix(loc.String(), f.redirectURI) {
				q := loc.Query()
				if c := q.Get("code"); c != "" {
					return c, nil
				}
				return "", fmt.Errorf("authorize redirected with error %q: %s", q.Get("error"), q.Get("error_description"))
			}
			next, method, body = loc.String(), http.MethodGet, ""
		case r.Status == http.StatusOK:
			m, action, form, ok := f.fill(string(r.Body))
			if !ok {
				return "", fmt.Errorf("authorize step %d: a page without a form: %s", step, r)
			}
			target := base
			if action != "" {
				if target, err = base.Parse(action); err != nil {
					return "", fmt.Errorf("form action %q: %w", action, err)
				}
			}
			next, method, body = target.String(), m, form.Encode()
			if m == http.MethodGet {
				target.RawQuery = form.Encode()
				next, body = target.String(), ""
			}
		default:
			return "", fmt.Errorf("authorize step %d answered %s", step, r)
		}
	}
	return "", fmt.Errorf("authorize: no code after 8 steps")
}
