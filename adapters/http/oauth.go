package http

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"go.opentelemetry.io/otel/attribute"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
)

var (
	errNotPost       = core.NewOAuthError(core.CodeInvalidRequest, "the endpoint requires the POST method (RFC 6749 §3.2)")
	errNotForm       = core.NewOAuthError(core.CodeInvalidRequest, "the request body must be application/x-www-form-urlencoded")
	errBadForm       = core.NewOAuthError(core.CodeInvalidRequest, "the request body is not a valid form")
	errTwoAuthMethod = core.NewOAuthError(core.CodeInvalidRequest, "the client used more than one authentication method (RFC 6749 §2.3)")
	errNoClientAuth  = core.NewOAuthError(core.CodeInvalidClient, "client authentication is required")
	errBadBasic      = core.NewOAuthError(core.CodeInvalidClient, "the Basic credentials are not form-encoded as RFC 6749 §2.3.1 requires")
	errNeedSecret    = core.NewOAuthError(core.CodeInvalidClient, "this endpoint requires a confidential client")
	errNoGrantType   = core.NewOAuthError(core.CodeInvalidRequest, "grant_type is required")
	errNoToken       = core.NewOAuthError(core.CodeInvalidRequest, "token is required")
)

// readParams reads the body parameters of an OAuth endpoint request once,
// under RFC 6749's rules (§3.1, §3.2; core.OAuthParams): POST, form-encoded,
// a parameter sent without a value treated as omitted, and a parameter sent
// twice invalid_request naming it. Every endpoint that takes a form from a
// client reads it here, so the rules hold everywhere.
func readParams(w http.ResponseWriter, r *http.Request) (grants.Params, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, errNotPost
	}
	raw, err := parseForm(w, r)
	if err != nil {
		return nil, err
	}
	return params(raw)
}

// params applies core.OAuthParams to raw and returns one value per name.
func params(raw url.Values) (grants.Params, error) {
	form, repeated := core.OAuthParams(raw)
	if len(repeated) > 0 {
		return nil, core.ErrRepeatedParam(repeated[0])
	}
	p := make(grants.Params, len(form))
	for k, v := range form {
		p[k] = v[0]
	}
	return p, nil
}

// parseForm reads a form-encoded body of at most MaxBodyBytes whose every
// name and value is UTF-8 text without NUL (checkValues).
func parseForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if !hasMediaType(r, "application/x-www-form-urlencoded") {
		return nil, errNotForm
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, errBadForm.Wrap(err)
	}
	var v core.ValidationError
	checkValues(r.PostForm, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

// claimedClientID is the client a request names, before authentication:
// the Basic user name or the client_id parameter; "" when neither is a
// possible client id.
func claimedClientID(r *http.Request, p grants.Params) string {
	id := p.Get("client_id")
	if user, _, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(user)
	}
	if !core.ValidClientID(id) {
		return ""
	}
	return id
}

// authenticateClient runs client authentication (RFC 6749 §2.3):
// client_secret_basic, client_secret_post, or a public client's bare
// client_id.
func (h *Handler) authenticateClient(ctx context.Context, r *http.Request, p grants.Params) (core.Client, error) {
	if user, pass, ok := r.BasicAuth(); ok {
		if p.Has("client_secret") {
			return core.Client{}, errTwoAuthMethod
		}
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return core.Client{}, errBadBasic
		}
		if p.Has("client_id") && p.Get("client_id") != id {
			return core.Client{}, core.NewOAuthError(core.CodeInvalidRequest, "client_id in the body differs from the authenticated client")
		}
		return h.clients.Authenticate(ctx, id, secret)
	}
	id := p.Get("client_id")
	if id == "" {
		return core.Client{}, errNoClientAuth
	}
	return h.clients.Authenticate(ctx, id, p.Get("client_secret"))
}

// clientRequest runs, once, the steps every request a client makes to a
// grant shares: the token endpoint's (RFC 6749 §3.2) and those of a
// grant's own client endpoints, such as RFC 8628's device authorization
// endpoint. grantType is the grant the endpoint belongs to; "" takes it
// from the grant_type parameter. The phases, in order:
//
//  1. read the parameters once (readParams);
//  2. authenticate the client (RFC 6749 §2.3);
//  3. count the request against the token-endpoint limit (limitTokenRequest),
//     which sees the parameters and the outcome of 2;
//  4. find the grant, and check the client is registered for it and, when
//     the grant requires it, confidential;
//  5. parse the scope and apply the grant's ScopePolicy, the one place the
//     requested scope is checked against the client's.
func (h *Handler) clientRequest(w http.ResponseWriter, r *http.Request, grantType string) (grants.Request, grants.Grant, error) {
	ctx := r.Context()
	// 1.
	params, err := readParams(w, r)
	if err != nil {
		if lerr := h.limitTokenRequest(w, r, nil, core.Client{}, err); lerr != nil {
			return grants.Request{}, nil, lerr
		}
		return grants.Request{}, nil, err
	}
	// 2, 3.
	client, authErr := h.authenticateClient(ctx, r, params)
	if err := h.limitTokenRequest(w, r, params, client, authErr); err != nil {
		return grants.Request{}, nil, err
	}
	if authErr != nil {
		return grants.Request{}, nil, authErr
	}
	// 4.
	if grantType == "" {
		if grantType = params.Get("grant_type"); grantType == "" {
			return grants.Request{}, nil, errNoGrantType
		}
	}
	g, ok := h.grants.Get(grantType)
	if !ok {
		return grants.Request{}, nil, core.NewOAuthError(core.CodeUnsupportedGrantType, "the grant type is not supported: "+truncate(grantType, 64))
	}
	if !client.AllowsGrant(grantType) {
		return grants.Request{}, nil, core.NewOAuthError(core.CodeUnauthorizedClient, "the client is not allowed the grant type "+grantType)
	}
	if client.Public && g.RequiresClientAuth() {
		return grants.Request{}, nil, core.NewOAuthError(core.CodeUnauthorizedClient, "a public client cannot use the grant type "+grantType)
	}
	// 5.
	req := grants.Request{GrantType: grantType, Client: client, Params: params, ScopeRequested: params.Has("scope")}
	requested, err := core.ParseScope(params.Get("scope"))
	if err != nil {
		return grants.Request{}, nil, err
	}
	if req.ScopeRequested || g.ScopePolicy() == grants.ScopeClientDefault {
		if req.Scopes, err = core.NarrowScope(requested, client.Scopes); err != nil {
			return grants.Request{}, nil, err
		}
	}
	annotate(ctx, attribute.String("oauth.grant_type", grantType), attribute.String("oauth.client_id", client.ID))
	return req, g, nil
}

// token is the token endpoint (RFC 6749 §3.2): the shared steps of
// clientRequest, then the grant registered for grant_type, then the
// response (§5.1) or the error (§5.2), both with Cache-Control: no-store.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	r = withClientErrors(r)
	req, g, err := h.clientRequest(w, r, "")
	var resp core.TokenResponse
	if err == nil {
		resp, err = g.Token(r.Context(), req)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.obs.TokenIssued(r.Context(), req.GrantType)
	noStore(w)
	writeJSON(w, http.StatusOK, resp)
}

// grantClientEndpoint serves a grant's client endpoint (grants.Endpoint's
// Client): the shared steps for the grant's type, then the grant's
// handler, whose result is written as JSON with Cache-Control: no-store.
func (h *Handler) grantClientEndpoint(grantType string, fn func(context.Context, grants.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = withClientErrors(r)
		req, _, err := h.clientRequest(w, r, grantType)
		var out any
		if err == nil {
			out, err = fn(r.Context(), req)
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		noStore(w)
		writeJSON(w, http.StatusOK, out)
	}
}

// clientErrorsKey marks a request to the token endpoint or a grant's
// client endpoint: its OAuth errors are RFC 6749 §5.2 responses, 400
// except invalid_client (RFC 8628 §3.5's access_denied included).
type clientErrorsKey struct{}

func withClientErrors(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientErrorsKey{}, true))
}

func wantsClientErrors(r *http.Request) bool {
	v, _ := r.Context().Value(clientErrorsKey{}).(bool)
	return v
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// tokenParam reads a request of the introspection and revocation
// endpoints: the authenticated client and the token it names.
func (h *Handler) tokenParam(w http.ResponseWriter, r *http.Request) (core.Client, string, error) {
	params, err := readParams(w, r)
	if err != nil {
		return core.Client{}, "", err
	}
	client, err := h.authenticateClient(r.Context(), r, params)
	if err != nil {
		return core.Client{}, "", err
	}
	raw := params.Get("token")
	if raw == "" {
		return core.Client{}, "", errNoToken
	}
	return client, raw, nil
}

// introspect is the introspection endpoint (RFC 7662 §2) for any
// authenticated confidential client.
func (h *Handler) introspect(w http.ResponseWriter, r *http.Request) {
	client, raw, err := h.tokenParam(w, r)
	if err == nil && client.Public {
		err = errNeedSecret
	}
	var res core.Introspection
	if err == nil {
		res, err = h.tokens.Introspect(r.Context(), raw)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, res)
}

// revoke is the revocation endpoint (RFC 7009 §2). token_type_hint is
// optional and only a hint: the token's form tells its type. Success, also
// for an unknown token, is 200 with the JSON body {}: RFC 7009 §2.2 leaves
// the body open, and client libraries parse the answer as JSON.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	client, raw, err := h.tokenParam(w, r)
	if err == nil {
		err = h.tokens.Revoke(r.Context(), client, raw)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, struct{}{})
}
