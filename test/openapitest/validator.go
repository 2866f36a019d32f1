package openapitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/identityd/identityd/api"
)

// Validator checks requests and responses against api.OpenAPI and records
// which operations were exercised. It is safe for concurrent use.
type Validator struct {
	t        testing.TB
	router   routers.Router
	requests bool
	skip     []string
	host     string

	mu      sync.Mutex
	all     []string
	visited map[string]bool
}

// loaded is the parsed document, its router and its operations, built once
// per test binary and only read afterwards.
var loaded struct {
	once   sync.Once
	router routers.Router
	all    []string
	err    error
}

func load() (routers.Router, []string, error) {
	loaded.once.Do(func() {
		// kin-openapi decodes no text/css; the stylesheet is a string.
		openapi3filter.RegisterBodyDecoder("text/css", openapi3filter.PlainBodyDecoder)
		doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
		if err != nil {
			loaded.err = fmt.Errorf("load the OpenAPI document: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			loaded.err = fmt.Errorf("the OpenAPI document is invalid: %w", err)
			return
		}
		// Match any host: the server under test listens on a random port.
		doc.Servers = nil
		if loaded.router, err = gorillamux.NewRouter(doc); err != nil {
			loaded.err = fmt.Errorf("build the router: %w", err)
			return
		}
		for path, item := range doc.Paths.Map() {
			for method := range item.Operations() {
				loaded.all = append(loaded.all, operationKey(method, path))
			}
		}
		sort.Strings(loaded.all)
	})
	return loaded.router, loaded.all, loaded.err
}

// New returns a validator over api.OpenAPI, failing t at once when the
// document is broken. The document is parsed once per test binary.
func New(t testing.TB) *Validator {
	t.Helper()
	router, all, err := load()
	if err != nil {
		t.Fatalf("openapitest: %v", err)
	}
	return &Validator{t: t, router: router, all: all, visited: make(map[string]bool)}
}

// ValidateRequests makes the validator check requests as well: parameters
// and bodies against the document (security is not checked). Off by
// default, since tests send bad requests on purpose. It returns v.
func (v *Validator) ValidateRequests(on bool) *Validator {
	v.requests = on
	return v
}

// Skip excludes requests whose path starts with prefix from validation and
// coverage. It returns v.
func (v *Validator) Skip(prefix string) *Validator {
	v.skip = append(v.skip, prefix)
	return v
}

// Only restricts validation and coverage to requests sent to baseURL's
// host (such as an httptest server's URL), so that following a redirect
// to a client's redirect_uri elsewhere is not reported. It returns v.
func (v *Validator) Only(baseURL string) *Validator {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		v.t.Fatalf("openapitest: Only(%q): not an absolute URL", baseURL)
	}
	v.host = u.Host
	return v
}

// RoundTripper returns a transport that sends each request through next
// (http.DefaultTransport when nil) and validates the pair.
func (v *Validator) RoundTripper(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{v: v, next: next}
}

// Coverage lists the operations, as "METHOD /path/{template}", that no
// validated request has exercised, sorted.
func (v *Validator) Coverage() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var missing []string
	for _, op := range v.all {
		if !v.visited[op] {
			missing = append(missing, op)
		}
	}
	return missing
}

func (v *Validator) skipped(u *url.URL) bool {
	if v.host != "" && u.Host != v.host {
		return true
	}
	for _, p := range v.skip {
		if strings.HasPrefix(u.Path, p) {
			return true
		}
	}
	return false
}

func (v *Validator) visit(method, path string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.visited[operationKey(method, path)] = true
}

func operationKey(method, path string) string { return method + " " + path }

type transport struct {
	v    *Validator
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper. Bodies are read and restored so
// neither the server nor the caller notices the validation.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	v := tr.v
	if v.skipped(req.URL) {
		return tr.next.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("openapitest: read the request body: %w", err)
		}
		reqBody = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}

	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		return resp, fmt.Errorf("openapitest: read the response body: %w", err)
	}

	if msg := v.check(req, reqBody, resp, respBody); msg != "" {
		v.t.Errorf("openapitest: %s %s -> %d: %s", req.Method, req.URL.Path, resp.StatusCode, msg)
	}
	return resp, nil
}

// check validates one pair and returns what is wrong, or "".
func (v *Validator) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) string {
	route, params, err := v.router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusTooManyRequests {
			return "" // an unknown path rightly answered 404, or was limited before routing
		}
		return "the path is not in the OpenAPI document"
	case errors.Is(err, routers.ErrMethodNotAllowed):
		if resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotFound {
			return ""
		}
		if req.Method == http.MethodOptions || req.Method == http.MethodHead {
			return "" // CORS preflight and HEAD are cross-cutting, not documented per path
		}
		return "the method is not in the OpenAPI document for this path"
	case err != nil:
		return fmt.Sprintf("find the route: %v", err)
	}
	v.visit(req.Method, route.Path)

	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		MultiError:            true,
		// Report the path and the reason, not the whole schema.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	ctx := req.Context()
	var problems []string
	if v.requests {
		vreq := req.Clone(ctx)
		vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
		in.Request = vreq
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			problems = append(problems, "request: "+err.Error())
		}
		in.Request = req
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		problems = append(problems, "response: "+err.Error()+"; body: "+excerpt(respBody))
	}
	return strings.Join(problems, "; ")
}

// excerpt shortens a body for an error message.
func excerpt(b []byte) string {
	const limit = 300
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "(empty)"
	}
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}
