package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Fixture values the scenarios create through the API.
const (
	benchScope    = "bench:read"
	benchPassword = "Bench-Password-0123456789!"
	webClientID   = "identity-web"
	redirectURI   = "http://127.0.0.1:9/callback"
	formType      = "application/x-www-form-urlencoded"
	// prepWorkers is how many requests preparation keeps in flight: enough
	// to keep both the client and the server busy.
	prepWorkers = 32
)

// work is what a scenario prepared: an optional warm-up run and the
// measured run.
type work struct {
	warm *plan
	main plan
	note string
}

// scenario is one row of the table.
type scenario struct {
	name  string
	title string
	// big runs at the big connection count on a freshly started server.
	big bool
	// cpuBound runs at two connections per core: a request costs
	// milliseconds of CPU (bcrypt), so more in flight only queue, and
	// whatever a stopped warm-up left in flight would still be computed
	// during the measured run.
	cpuBound bool
	prepare  func(ctx context.Context, b *bench, t *target) (work, error)
}

func scenarios() []scenario {
	return []scenario{
		{name: "client_credentials", title: "client_credentials issuance (Basic)", prepare: prepClientCredentials},
		{name: "introspect", title: "introspection of a valid JWT", prepare: prepIntrospect},
		{name: "revoke", title: "revocation of distinct access tokens", prepare: prepRevoke},
		{name: "authorization_code", title: "authorization_code exchange (codes prepared)", prepare: prepAuthCode},
		{name: "refresh", title: "refresh rotation (identity-web)", prepare: prepRefresh},
		{name: "login", title: "login (bcrypt-bound)", cpuBound: true, prepare: prepLogin},
		{name: "me", title: "GET /api/auth/me (Bearer)", prepare: prepMe},
		{name: "client_credentials_big", title: "client_credentials, many connections", big: true, prepare: prepClientCredentials},
	}
}

// target is one configuration's running server and the data made on it.
type target struct {
	config string
	proc   *process
	api    *api
	id     string // the benchmark's confidential client
	secret string
	ccRate float64 // measured client_credentials rate, to size one-shot lists

	userOnce sync.Once
	userErr  error
	email    string

	loginOnce   sync.Once
	loginErr    error
	loginEmails []string
}

// setup makes the scope and the confidential client every scenario uses.
func (t *target) setup(ctx context.Context, b *bench) error {
	admin, err := t.api.clientCredentials(ctx, b.adminID, b.adminSecret, "")
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	r, err := t.api.postJSON(ctx, "/api/scopes", admin, map[string]string{"name": benchScope, "description": "benchmark scope"})
	if err != nil {
		return err
	}
	if r.Status != http.StatusCreated && r.Status != http.StatusConflict {
		return fmt.Errorf("create scope: %s", r)
	}
	r, err = t.api.postJSON(ctx, "/api/clients", admin, map[string]any{
		"name": "bench-service", "grant_types": []string{"client_credentials"}, "scopes": []string{benchScope},
	})
	if err != nil {
		return err
	}
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &c) != nil || c.Secret == "" {
		return fmt.Errorf("create client: %s", r)
	}
	t.id, t.secret = c.ID, c.Secret
	return nil
}

// items sizes a one-shot list (tokens to revoke, codes to exchange) so it
// outlasts a run of d at the rate client_credentials reached, plus a
// margin; capped at maxItems.
func (b *bench) items(t *target, d time.Duration) int {
	rate := t.ccRate
	if rate == 0 {
		rate = 5000
	}
	return min(int(rate*d.Seconds()*1.2)+b.opts.conns, b.opts.maxItems)
}

func (t *target) basic() string { return basicAuth(t.id, t.secret) }

func formPlan(path, auth, body string) plan {
	h := map[string]string{"Content-Type": formType}
	if auth != "" {
		h["Authorization"] = auth
	}
	return plan{Method: http.MethodPost, Path: path, Headers: h, Body: body}
}

// expect200 sends a plan's request once, so a wrong request fails loudly
// before the load instead of as a column of errors.
func expect200(ctx context.Context, t *target, p plan, body string) (reply, error) {
	r, err := t.api.do(ctx, p.Method, p.Path, p.Headers, body)
	if err != nil {
		return r, err
	}
	if r.missing() {
		return r, unavailable("%s %s answered %d", p.Method, p.Path, r.Status)
	}
	if r.Status != http.StatusOK {
		return r, fmt.Errorf("check request %s %s answered %s", p.Method, p.Path, r)
	}
	return r, nil
}

func prepClientCredentials(ctx context.Context, _ *bench, t *target) (work, error) {
	p := formPlan("/oauth/token", t.basic(), "grant_type=client_credentials&scope="+url.QueryEscape(benchScope))
	if _, err := expect200(ctx, t, p, p.Body); err != nil {
		return work{}, err
	}
	return work{warm: &p, main: p}, nil
}

func prepIntrospect(ctx context.Context, _ *bench, t *target) (work, error) {
	tok, err := t.api.clientCredentials(ctx, t.id, t.secret, benchScope)
	if err != nil {
		return work{}, err
	}
	p := formPlan("/oauth/introspect", t.basic(), "token="+url.QueryEscape(tok))
	r, err := expect200(ctx, t, p, p.Body)
	if err != nil {
		return work{}, err
	}
	var got struct {
		Active bool `json:"active"`
	}
	if json.Unmarshal(r.Body, &got) != nil || !got.Active {
		return work{}, fmt.Errorf("introspection of a fresh token: %s", r)
	}
	return work{warm: &p, main: p}, nil
}

// oneShot splits prepared items between a warm-up and a measured plan.
func oneShot(b *bench, p plan, items []string, nWarm int) work {
	warm := p
	warm.Items, warm.Mode = items[:nWarm], modeOnce
	p.Items, p.Mode = items[nWarm:], modeOnce
	return work{warm: &warm, main: p, note: fmt.Sprintf("%d distinct items prepared", len(p.Items))}
}

func prepRevoke(ctx context.Context, b *bench, t *target) (work, error) {
	nWarm, nMain := b.items(t, b.opts.warmup), b.items(t, b.opts.duration)
	toks, err := parallel(ctx, nWarm+nMain+1, prepWorkers, func(ctx context.Context, _ int) (string, error) {
		return t.api.clientCredentials(ctx, t.id, t.secret, benchScope)
	})
	if err != nil {
		return work{}, err
	}
	p := formPlan("/oauth/revoke", t.basic(), "")
	p.Template = "token={item}&token_type_hint=access_token"
	if _, err := expect200(ctx, t, p, "token="+toks[0]+"&token_type_hint=access_token"); err != nil {
		return work{}, err
	}
	return oneShot(b, p, toks[1:], nWarm), nil
}

// user registers the benchmark's user once per target.
func (t *target) user(ctx context.Context) (string, error) {
	t.userOnce.Do(func() {
		t.email = fmt.Sprintf("bench-%s@example.com", t.id)
		r, err := t.api.postJSON(ctx, "/api/auth/register", "", map[string]string{
			"email": t.email, "password": benchPassword, "first_name": "Bench", "last_name": "User",
		})
		switch {
		case err != nil:
			t.userErr = err
		case r.missing():
			t.userErr = unavailable("POST /api/auth/register answered %d", r.Status)
		case r.Status != http.StatusCreated && r.Status != http.StatusConflict:
			t.userErr = fmt.Errorf("register: %s", r)
		}
	})
	return t.email, t.userErr
}

func (t *target) loginPlan(ctx context.Context) (plan, error) {
	email, err := t.user(ctx)
	if err != nil {
		return plan{}, err
	}
	return plan{Method: http.MethodPost, Path: "/api/auth/login", Headers: map[string]string{"Content-Type": "application/json"},
		Body: jsonBody(map[string]string{"email": email, "password": benchPassword})}, nil
}

func (t *target) login(ctx context.Context) (tokenFields, error) {
	p, err := t.loginPlan(ctx)
	if err != nil {
		return tokenFields{}, err
	}
	r, err := expect200(ctx, t, p, p.Body)
	if err != nil {
		return tokenFields{}, err
	}
	return decodeToken(r)
}

// loginConns is the connection count of the cpuBound scenarios.
func (b *bench) loginConns() int { return max(2*runtime.NumCPU(), b.opts.threads) }

// loginUsers registers the login scenario's users once per target: two per
// connection, used round robin. The login throttle counts every password
// check as a failure until it succeeds (so that parallel guesses are
// throttled too), and three checks in flight for one account start a
// back-off that refuses even the right password; one account per request
// in flight keeps the scenario to what it measures, a bcrypt-bound login.
func (t *target) loginUsers(ctx context.Context, b *bench) ([]string, error) {
	t.loginOnce.Do(func() {
		if _, err := t.user(ctx); err != nil {
			t.loginErr = err
			return
		}
		n := 2 * b.loginConns()
		t.loginEmails, t.loginErr = parallel(ctx, n, prepWorkers, func(ctx context.Context, i int) (string, error) {
			email := fmt.Sprintf("bench-login-%d-%s@example.com", i, t.id)
			r, err := t.api.postJSON(ctx, "/api/auth/register", "", map[string]string{
				"email": email, "password": benchPassword, "first_name": "Bench", "last_name": "Login",
			})
			if err != nil {
				return "", err
			}
			if r.Status != http.StatusCreated && r.Status != http.StatusConflict {
				return "", fmt.Errorf("register %s: %s", email, r)
			}
			return email, nil
		})
	})
	return t.loginEmails, t.loginErr
}

func prepLogin(ctx context.Context, b *bench, t *target) (work, error) {
	emails, err := t.loginUsers(ctx, b)
	if err != nil {
		return work{}, err
	}
	p := plan{Method: http.MethodPost, Path: "/api/auth/login", Headers: map[string]string{"Content-Type": "application/json"}}
	// The emails are plain ASCII, safe inside a JSON string as they are.
	p.Template = `{"email":"{item}","password":"` + benchPassword + `"}`
	if _, err := expect200(ctx, t, p, strings.Replace(p.Template, "{item}", emails[0], 1)); err != nil {
		return work{}, err
	}
	p.Items, p.Mode = emails, modeCycle
	warm := p
	return work{warm: &warm, main: p, note: fmt.Sprintf("%d accounts, round robin", len(emails))}, nil
}

func prepMe(ctx context.Context, _ *bench, t *target) (work, error) {
	tok, err := t.login(ctx)
	if err != nil {
		return work{}, err
	}
	p := plan{Method: http.MethodGet, Path: "/api/auth/me", Headers: map[string]string{"Authorization": "Bearer " + tok.AccessToken}}
	if _, err := expect200(ctx, t, p, ""); err != nil {
		return work{}, err
	}
	return work{warm: &p, main: p}, nil
}

// prepRefresh logs in once per connection: each login starts a refresh
// token family that wrk then rotates, one request after another, feeding
// each response's refresh_token into the next request. No warm-up: a
// stopped run loses its in-flight tokens, and more families cost more
// bcrypt logins.
func prepRefresh(ctx context.Context, b *bench, t *target) (work, error) {
	if _, err := t.user(ctx); err != nil {
		return work{}, err
	}
	n := b.opts.conns + b.opts.conns/8 + 1
	// One login at a time: the login throttle counts each password check
	// as a failure until it succeeds, so logins of one account in flight
	// together can meet its back-off, which refuses even the right
	// password (the run then fails with a 401 now and then).
	toks, err := parallel(ctx, n, 1, func(ctx context.Context, _ int) (string, error) {
		tok, err := t.login(ctx)
		return tok.RefreshToken, err
	})
	if err != nil {
		return work{}, err
	}
	p := formPlan("/oauth/token", "", "")
	p.Template = "grant_type=refresh_token&client_id=" + webClientID + "&refresh_token={item}"
	r, err := expect200(ctx, t, p, "grant_type=refresh_token&client_id="+webClientID+"&refresh_token="+url.QueryEscape(toks[0]))
	if err != nil {
		return work{}, err
	}
	next, err := decodeToken(r)
	if err != nil || next.RefreshToken == "" {
		return work{}, fmt.Errorf("refresh gave no new refresh token: %s", r)
	}
	p.Items, p.Mode, p.ChainField = append(toks[1:], next.RefreshToken), modeChain, "refresh_token"
	return work{main: p, note: fmt.Sprintf("%d token families, no warm-up", len(p.Items))}, nil
}

func prepAuthCode(ctx context.Context, b *bench, t *target) (work, error) {
	email, err := t.user(ctx)
	if err != nil {
		return work{}, err
	}
	if r, err := t.api.do(ctx, http.MethodGet, "/oauth/authorize", nil, ""); err != nil {
		return work{}, err
	} else if r.missing() {
		return work{}, unavailable("GET /oauth/authorize answered %d", r.Status)
	}
	admin, err := t.api.clientCredentials(ctx, b.adminID, b.adminSecret, "")
	if err != nil {
		return work{}, fmt.Errorf("admin token: %w", err)
	}
	r, err := t.api.postJSON(ctx, "/api/clients", admin, map[string]any{
		"name": "bench-web", "redirect_uris": []string{redirectURI}, "grant_types": []string{"authorization_code", "refresh_token"},
		"scopes": []string{benchScope}, "public": false, "first_party": true,
	})
	if err != nil {
		return work{}, err
	}
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &c) != nil {
		return work{}, fmt.Errorf("create authorization_code client: %s", r)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return work{}, fmt.Errorf("cookie jar: %w", err)
	}
	flow := newCodeFlow(newAPI(t.api.base, jar), c.ID, redirectURI, email, benchPassword)
	first, err := flow.code(ctx) // logs in: the session serves the rest
	if err != nil {
		return work{}, err
	}
	nWarm, nMain := b.items(t, b.opts.warmup), b.items(t, b.opts.duration)
	codes, err := parallel(ctx, nWarm+nMain, prepWorkers, func(ctx context.Context, _ int) (string, error) {
		return flow.code(ctx)
	})
	if err != nil {
		return work{}, err
	}
	p := formPlan("/oauth/token", basicAuth(c.ID, c.Secret), "")
	tail := "&redirect_uri=" + url.QueryEscape(redirectURI) + "&code_verifier=" + flow.verifier
	p.Template = "grant_type=authorization_code&code={item}" + tail
	if _, err := expect200(ctx, t, p, "grant_type=authorization_code&code="+url.QueryEscape(first)+tail); err != nil {
		return work{}, err
	}
	for i := range codes {
		codes[i] = url.QueryEscape(codes[i])
	}
	return oneShot(b, p, codes, nWarm), nil
}
