package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.uber.org/fx"

	httpadapter "github.com/identityd/identityd/adapters/http"
	"github.com/identityd/identityd/adapters/telemetry"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

type handlerParams struct {
	fx.In
	LC             fx.Lifecycle
	Tokens         *service.Tokens
	Clients        *service.Clients
	Scopes         *service.Scopes
	Grants         *grants.Registry
	Signer         ports.TokenSigner
	Clock          ports.Clock
	Logger         *slog.Logger
	Readiness      Readiness
	Cfg            Config
	Audit          *service.Audit
	Limits         ports.RateLimitStore
	Telemetry      *telemetry.Providers
	Metrics        *telemetry.Metrics
	Accounts       *service.Accounts
	Authorizations *service.Authorizations
	AuditEvents    *service.AuditEvents
	Consents       *service.Consents `optional:"true"`

	IdentityProviders *service.IdentityProviders
	Upstream          *service.UpstreamSignIns
}

func newHandler(p handlerParams) (*httpadapter.Handler, error) {
	rl := p.Cfg.RateLimit
	h, err := httpadapter.New(httpadapter.Deps{
		Tokens: p.Tokens, Clients: p.Clients, Scopes: p.Scopes, Grants: p.Grants, Signer: p.Signer,
		Clock: p.Clock, Logger: p.Logger, Checks: p.Readiness, JWKSMaxAge: p.Cfg.Tokens.JWKSCacheMaxAge,
		Audit: p.Audit, RateLimitStore: p.Limits,
		RateLimits: httpadapter.RateLimits{
			Enabled: rl.Enabled, Global: rl.Global, Auth: rl.Auth, Token: rl.Token, Scopes: rl.Scopes, Clients: rl.Clients,
		},
		TrustedProxies: p.Cfg.HTTP.TrustedProxies, CORSOrigins: p.Cfg.HTTP.CORSOrigins, Production: p.Cfg.Production(),
		Telemetry: httpadapter.Telemetry{
			Tracer: p.Telemetry.TracerProvider.Tracer("identityd"), Propagator: p.Telemetry.Propagator, Observer: p.Metrics,
		},
		Accounts: p.Accounts, Authorizations: p.Authorizations, AuditEvents: p.AuditEvents, Consents: p.Consents,
		Brand:             httpadapter.Brand{Name: p.Cfg.Brand.Name, LogoURL: p.Cfg.Brand.LogoURL, PrimaryColor: p.Cfg.Brand.PrimaryColor},
		IdentityProviders: p.IdentityProviders, Upstream: p.Upstream,
		Sessions: httpadapter.SessionConfig{Key: sessionKey(p.Cfg.Tokens.RefreshSecret), PreviousKey: sessionKey(p.Cfg.Tokens.PreviousRefreshSecret), NextKey: sessionKey(p.Cfg.Tokens.NextRefreshSecret), TTL: SessionTTL, Secure: p.Cfg.Production()},
	})
	if err != nil {
		return nil, err
	}
	unregister, err := p.Metrics.RegisterReadiness(func(ctx context.Context) int {
		switch status, _ := h.Readiness(ctx); status {
		case httpadapter.ReadyOK:
			return telemetry.ReadinessOK
		case httpadapter.ReadyDegraded:
			return telemetry.ReadinessDegraded
		default:
			return telemetry.ReadinessUnavailable
		}
	})
	if err != nil {
		return nil, err
	}
	p.LC.Append(fx.Hook{OnStop: func(context.Context) error { return unregister() }})
	return h, nil
}

// Server is the HTTP server and its listener, and the profiling server
// when PPROF_ADDR is set.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler *httpadapter.Handler
	srv     *http.Server
	ln      net.Listener
	pprof   *http.Server
	pprofLn net.Listener
}

func newServer(cfg Config, log *slog.Logger, h *httpadapter.Handler) *Server {
	s := &Server{cfg: cfg, log: log, handler: h, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}}
	if cfg.HTTP.PprofAddr != "" {
		s.pprof = &http.Server{
			Handler:           pprofHandler(),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
	}
	return s
}

// pprofHandler serves net/http/pprof's endpoints under /debug/pprof/ on a
// mux of its own, never on the API's router.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// PprofAddr is the address the profiling server listens on, once started;
// empty when PPROF_ADDR is not set.
func (s *Server) PprofAddr() string {
	if s.pprofLn == nil {
		return ""
	}
	return s.pprofLn.Addr().String()
}

// startPprof listens on PPROF_ADDR and serves the profiles.
func (s *Server) startPprof() error {
	if s.pprof == nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.HTTP.PprofAddr)
	if err != nil {
		return fmt.Errorf("listen for profiling on %s: %w", s.cfg.HTTP.PprofAddr, err)
	}
	s.pprofLn = ln
	go func() {
		if err := s.pprof.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("profiling server stopped", "error", err.Error())
		}
	}()
	s.log.Info("profiling endpoints", "addr", ln.Addr().String(), "path", "/debug/pprof/")
	return nil
}

// Addr is the address the server listens on, once started.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Handler is the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func startServer(lc fx.Lifecycle, s *Server) {
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			if err := s.startPprof(); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", fmt.Sprintf(":%d", s.cfg.HTTP.Port))
			if err != nil {
				if s.pprof != nil {
					_ = s.pprof.Close()
				}
				return fmt.Errorf("listen on port %d: %w", s.cfg.HTTP.Port, err)
			}
			s.ln = ln
			go func() {
				var err error
				if s.cfg.HTTP.TLSCertFile != "" {
					err = s.srv.ServeTLS(ln, s.cfg.HTTP.TLSCertFile, s.cfg.HTTP.TLSKeyFile)
				} else {
					err = s.srv.Serve(ln)
				}
				if err != nil && !errors.Is(err, http.ErrServerClosed) {
					s.log.Error("server stopped", "error", err.Error())
				}
			}()
			s.log.Info("listening", "addr", ln.Addr().String(), "tls", s.cfg.HTTP.TLSCertFile != "", "issuer", s.cfg.IssuerURL, "env", s.cfg.Env)
			return nil
		},
		OnStop: func(ctx context.Context) error {
			s.handler.Drain()
			if d := s.cfg.HTTP.DrainDelay; d > 0 {
				s.log.Info("draining", "delay", d.String())
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
			ctx, cancel := context.WithTimeout(ctx, s.cfg.HTTP.ShutdownTimeout)
			defer cancel()
			if s.pprof != nil {
				// A CPU profile in progress is cut short, not waited for.
				_ = s.pprof.Close()
			}
			if err := s.srv.Shutdown(ctx); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			s.log.Info("stopped")
			return nil
		},
	})
}

// JanitorInterval is how often serve deletes expired rows.
const JanitorInterval = 10 * time.Minute

// JanitorBatch is how many rows one delete statement removes.
const JanitorBatch = 1000

// RunJanitor deletes expired tokens, codes and reset tokens, and audit
// events older than AUDIT_RETENTION, once.
func RunJanitor(ctx context.Context, p ports.Purger, clock ports.Clock, log *slog.Logger) error {
	st, err := p.PurgeExpired(ctx, clock.Now(), JanitorBatch)
	if err != nil {
		return fmt.Errorf("purge expired rows: %w", err)
	}
	log.Info("janitor", "access_tokens", st.AccessTokens, "refresh_tokens", st.RefreshTokens, "auth_codes", st.AuthCodes, "password_resets", st.PasswordResets, "device_codes", st.DeviceCodes, "audit_events", st.AuditEvents)
	return nil
}

func startJanitor(lc fx.Lifecycle, p ports.Purger, clock ports.Clock, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				t := time.NewTicker(JanitorInterval)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						if err := RunJanitor(ctx, p, clock, log); err != nil {
							log.Warn("janitor", "error", err.Error())
						}
					}
				}
			}()
			return nil
		},
		OnStop: func(context.Context) error {
			cancel()
			<-done
			return nil
		},
	})
}

// sessionKey is the key of session, CSRF and device cookies of a
// JWT_REFRESH_SECRET; nil for none.
func sessionKey(refreshSecret []byte) []byte {
	if refreshSecret == nil {
		return nil
	}
	return deriveKey(refreshSecret, "identityd session v1")
}
