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

// oauthForm checks the method and content type of an OAuth endpoint request
// and returns its body parameters under RFC 6749's rules (core.OAuthParams):
// a parameter sent empty is absent, one sent twice is invalid_request. Every
// endpoint that takes a form reads it here, so the rules hold everywhere.
func oauthForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, errNotPost
	}
	raw, err := parseForm(w, r)
	if err != nil {
		return nil, err
	}
	form, repeated := core.OAuthParams(raw)
	if len(repeated) > 0 {
		return nil, core.ErrRepeatedParam(repeated[0])
	}
	return form, nil
}

// parseForm reads a form-encoded body of at most MaxBodyBytes.
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
	return r.PostForm, nil
}

// authenticateClient runs client authentication (RFC 6749 §2.3):
// client_secret_basic, client_secret_post, or a public client's bare
// client_id.
func (h *Handler) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (core.Client, error) {
	if user, pass, ok := r.BasicAuth(); ok {
		if form.Has("client_secret") {
			return core.Client{}, errTwoAuthMethod
		}
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return core.Client{}, errBadBasic
		}
		if form.Has("client_id") && form.Get("client_id") != id {
			return core.Client{}, core.NewOAuthError(core.CodeInvalidRequest, "client_id in the body differs from the authenticated client")
		}
		return h.clients.Authenticate(ctx, id, secret)
	}
	id := form.Get("client_id")
	if id == "" {
		return core.Client{}, errNoClientAuth
	}
	return h.clients.Authenticate(ctx, id, form.Get("client_secret"))
}

// token is the token endpoint (RFC 6749 §3.2): the steps every grant
// shares, then the grant registered for grant_type.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	resp, err := h.tokenResponse(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, resp)
}

func (h *Handler) tokenResponse(w http.ResponseWriter, r *http.Request) (core.TokenResponse, error) {
	form, err := oauthForm(w, r)
	if err != nil {
		return core.TokenResponse{}, err
	}
	ctx := r.Context()
	client, err := h.authenticateClient(ctx, r, form)
	if err != nil {
		return core.TokenResponse{}, err
	}
	gt := form.Get("grant_type")
	if gt == "" {
		return core.TokenResponse{}, errNoGrantType
	}
	g, ok := h.grants.Get(gt)
	if !ok {
		return core.TokenResponse{}, core.NewOAuthError(core.CodeUnsupportedGrantType, "the grant type is not supported: "+truncate(gt, 64))
	}
	if !client.AllowsGrant(gt) {
		return core.TokenResponse{}, core.NewOAuthError(core.CodeUnauthorizedClient, "the client is not allowed the grant type "+gt)
	}
	scopes, err := core.ParseScope(form.Get("scope"))
	if err != nil {
		return core.TokenResponse{}, err
	}
	if _, err := core.NarrowScope(scopes, client.Scopes); err != nil {
		return core.TokenResponse{}, err
	}
	annotate(ctx, attribute.String("oauth.grant_type", gt), attribute.String("oauth.client_id", client.ID))
	resp, err := g.Token(ctx, grants.Request{Client: client, Form: form, Scopes: scopes})
	if err == nil {
		h.obs.TokenIssued(ctx, gt)
	}
	return resp, err
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
	form, err := oauthForm(w, r)
	if err != nil {
		return core.Client{}, "", err
	}
	client, err := h.authenticateClient(r.Context(), r, form)
	if err != nil {
		return core.Client{}, "", err
	}
	raw := form.Get("token")
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
