package http

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// Deps is what the HTTP transport needs.
type Deps struct {
	Tokens  *service.Tokens
	Clients *service.Clients
	Scopes  *service.Scopes
	Grants  *grants.Registry
	Signer  ports.TokenSigner
	Clock   ports.Clock
	Logger  *slog.Logger
	// JWKSMaxAge is the max-age of /.well-known/jwks.json
	// (JWKS_CACHE_MAX_AGE); zero: 300 seconds.
	JWKSMaxAge time.Duration
	// Checks are asked by /readyz.
	Checks []ReadinessCheck
	// Telemetry traces and measures requests; the zero value does nothing.
	Telemetry Telemetry
	// Audit records security events; nil records nothing.
	Audit *service.Audit
	// RateLimits and RateLimitStore are contract §6.
	RateLimits     RateLimits
	RateLimitStore ports.RateLimitStore
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// CORSOrigins may call the API from a browser (contract §5).
	CORSOrigins []string
	// Production adds Strict-Transport-Security and
	// upgrade-insecure-requests.
	Production bool
	// Accounts serves /api/auth and the sign-in of the authorization
	// endpoint; Authorizations the authorization endpoint, which exists
	// only when the authorization_code grant is installed.
	Accounts       *service.Accounts
	Authorizations *service.Authorizations
	Sessions       SessionConfig
	// AuditEvents serves GET /api/audit-events; nil: not served.
	AuditEvents *service.AuditEvents
	// Consents serves /api/auth/me/consents; nil: not served.
	Consents *service.Consents
	// Brand names and colours every page; the zero value is identityd's.
	Brand Brand
	// IdentityProviders and Upstream serve upstream sign-in; nil serves
	// none of it.
	IdentityProviders *service.IdentityProviders
	Upstream          *service.UpstreamSignIns
}

// Handler serves every route of the contract.
type Handler struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	obs        Observer

	tokens  *service.Tokens
	clients *service.Clients
	scopes  *service.Scopes
	grants  *grants.Registry
	signer  ports.TokenSigner
	// jwksCacheControl is the Cache-Control of the JWKS response.
	jwksCacheControl string
	clock            ports.Clock
	log              *slog.Logger
	checks           []ReadinessCheck
	ids              *requestIDs
	audit            *service.Audit

	proxies    *TrustedProxies
	headers    *securityHeaders
	corsPolicy *corsPolicy
	rl         *rateLimiter

	accounts    *service.Accounts
	authz       *service.Authorizations
	auditEvents *service.AuditEvents
	consents    *service.Consents
	sessions    *sessions
	pages       *pages
	idps        *service.IdentityProviders
	upstream    *service.UpstreamSignIns

	router   *mux.Router
	root     http.Handler
	draining atomic.Bool
	metadata []byte
	// discoverableScopes feeds the metadata's scopes_supported.
	discoverableScopes scopeList
}

// New builds the handler and its routes. It fails when the installed
// grants' contributions do not fit together.
func New(d Deps) (*Handler, error) {
	h := &Handler{
		tokens: d.Tokens, clients: d.Clients, scopes: d.Scopes, grants: d.Grants, signer: d.Signer,
		clock: d.Clock, log: d.Logger, checks: d.Checks, ids: newRequestIDs(), audit: d.Audit,
		proxies: NewTrustedProxies(d.TrustedProxies), headers: newSecurityHeaders(d.Production, d.Brand.LogoURL),
		corsPolicy: newCORSPolicy(d.CORSOrigins), rl: newRateLimiter(d.RateLimits, d.RateLimitStore, d.Clock, d.Logger),
		accounts: d.Accounts, authz: d.Authorizations, sessions: newSessions(d.Sessions),
		auditEvents: d.AuditEvents, consents: d.Consents,
		idps: d.IdentityProviders, upstream: d.Upstream,
	}
	if d.JWKSMaxAge <= 0 {
		d.JWKSMaxAge = 5 * time.Minute
	}
	h.jwksCacheControl = fmt.Sprintf("public, max-age=%d", int64(d.JWKSMaxAge/time.Second))
	tel := d.Telemetry.withDefaults()
	h.tracer, h.propagator, h.obs = tel.Tracer, tel.Propagator, tel.Observer
	h.pages = mustPages(d.Brand)
	md, err := h.buildMetadata()
	if err != nil {
		return nil, err
	}
	h.metadata = md
	h.router = mux.NewRouter()
	h.router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.writeError(w, r, errNoRoute) })
	h.router.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.writeError(w, r, errMethodNotAllow) })
	h.router.Use(recordRoute)
	h.routes()
	h.root = h.observe(h.secure(h.cors(h.limitByIP(h.cleanInput(h.router)))))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.root.ServeHTTP(w, r) }

// Router exposes the router so further modules can add routes.
func (h *Handler) Router() *mux.Router { return h.router }

// Drain makes /readyz answer 503, so a load balancer stops sending traffic
// before the server shuts down.
func (h *Handler) Drain() { h.draining.Store(true) }

func (h *Handler) routes() {
	r := h.router
	r.HandleFunc("/healthz", h.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", h.readyz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/.well-known/oauth-authorization-server", h.serveMetadata).Methods(http.MethodGet)
	r.HandleFunc("/.well-known/jwks.json", h.jwks).Methods(http.MethodGet)
	h.docsRoutes(r)
	h.peopleRoutes(r)
	h.accountRoutes(r)

	// RFC 6749 §3.2: the token endpoint answers every method, so a GET gets
	// an OAuth error rather than a bare 405.
	r.HandleFunc("/oauth/token", h.token)
	r.HandleFunc("/oauth/introspect", h.introspect)
	r.HandleFunc("/oauth/revoke", h.revoke)
	r.HandleFunc("/assets/identityd.css", h.stylesheet).Methods(http.MethodGet, http.MethodHead)
	h.grantRoutes(r)
	h.openIDRoutes(r)
	h.upstreamRoutes(r)

	api := r.PathPrefix("/api").Subrouter()
	api.Use(h.enforceAPIAccess)
	h.authRoutes(api)
	h.scopeRoutes(api)
	h.clientRoutes(api)
	h.userRoutes(api)
	h.sessionRoutes(api)
	h.auditRoutes(api)
	h.consentRoutes(api)
	h.identityProviderRoutes(api)
	h.meIdentityProviderRoutes(api)
}

func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
