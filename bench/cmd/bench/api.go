package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// errUnavailable marks a scenario this build cannot run: an endpoint it
// needs answered 404 (or 405), or a configuration is missing.
var errUnavailable = errors.New("not available in this build")

// unavailable returns an errUnavailable naming why.
func unavailable(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errUnavailable)
}

// api talks to the server under test to prepare data, as any client would.
type api struct {
	base string
	http *http.Client
}

func newAPI(base string, jar http.CookieJar) *api {
	return &api{base: base, http: &http.Client{
		Jar:       jar,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
		// The authorization flow reads redirects itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// reply is a response with its body read.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.Status, truncate(string(r.Body), 300)) }

// missing reports whether the route does not exist in this build.
func (r reply) missing() bool {
	return r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed
}

func (a *api) do(ctx context.Context, method, path string, header map[string]string, body string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = a.base + path
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return reply{}, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("read %s %s: %w", method, path, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// postJSON sends v as JSON with an optional Bearer token.
func (a *api) postJSON(ctx context.Context, path, bearer string, v any) (reply, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return reply{}, fmt.Errorf("encode %s: %w", path, err)
	}
	h := map[string]string{"Content-Type": "application/json"}
	if bearer != "" {
		h["Authorization"] = "Bearer " + bearer
	}
	return a.do(ctx, http.MethodPost, path, h, string(data))
}

// postForm sends a form with optional extra headers.
func (a *api) postForm(ctx context.Context, path string, header map[string]string, form string) (reply, error) {
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range header {
		h[k] = v
	}
	return a.do(ctx, http.MethodPost, path, h, form)
}

// basicAuth is client_secret_basic: each part form-encoded first (RFC 6749
// §2.3.1).
func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// tokenFields is the part of a token response the benchmark reads.
type tokenFields struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func decodeToken(r reply) (tokenFields, error) {
	var t tokenFields
	if r.Status != http.StatusOK {
		return t, fmt.Errorf("token request answered %s", r)
	}
	if err := json.Unmarshal(r.Body, &t); err != nil {
		return t, fmt.Errorf("decode token response: %w", err)
	}
	return t, nil
}

// clientCredentials gets an access token for a confidential client.
func (a *api) clientCredentials(ctx context.Context, id, secret, scope string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r, err := a.postForm(ctx, "/oauth/token", map[string]string{"Authorization": basicAuth(id, secret)}, form.Encode())
	if err != nil {
		return "", err
	}
	t, err := decodeToken(r)
	return t.AccessToken, err
}

// parallel runs fn for i in [0,n) on workers goroutines and returns the
// results in order, or the first error.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) (string, error)) ([]string, error) {
	out := make([]string, n)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				v, err := fn(ctx, i)
				if err != nil {
					cancel(err)
					return
				}
				out[i] = v
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// jsonBody encodes v for a plan's fixed body.
func jsonBody(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}
