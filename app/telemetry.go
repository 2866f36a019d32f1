package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/telemetry"
)

// TelemetryOptions are the telemetry settings of cfg: the standard OTEL_*
// variables and METRICS_ADDR.
func TelemetryOptions(cfg Config) telemetry.Options {
	return telemetry.Options{
		ServiceName: cfg.OTel.ServiceName, Version: cfg.Version, Env: cfg.Env,
		ResourceAttributes: cfg.OTel.ResourceAttributes,
		OTLPEndpoint:       cfg.OTel.Endpoint, OTLPProtocol: cfg.OTel.Protocol, OTLPHeaders: parseHeaders(cfg.OTel.Headers),
		MetricsTemporality: cfg.OTel.MetricsTemporality,
		MetricInterval:     cfg.OTel.MetricInterval, OTLPTimeout: cfg.OTel.Timeout,
		TracesSampler: cfg.OTel.TracesSampler, TracesSamplerArg: cfg.OTel.TracesSamplerArg,
		Prometheus: cfg.OTel.MetricsAddr != "",
	}
}

// newTelemetryProviders sets up OpenTelemetry from the standard OTEL_*
// variables: with no endpoint and no METRICS_ADDR it exports nothing and
// costs next to nothing.
func newTelemetryProviders(lc fx.Lifecycle, cfg Config) (*telemetry.Providers, error) {
	p, shutdown, err := telemetry.Setup(context.Background(), TelemetryOptions(cfg))
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	lc.Append(fx.Hook{OnStop: shutdown})
	return p, nil
}

func newMetrics(p *telemetry.Providers) (*telemetry.Metrics, error) {
	return telemetry.NewMetrics(p.MeterProvider)
}

// MetricsServer serves GET /metrics on METRICS_ADDR, on a listener and mux
// of its own: never on PORT's router.
type MetricsServer struct {
	srv *http.Server
	ln  net.Listener
}

// Addr is the address /metrics listens on, once started; empty when
// METRICS_ADDR is not set.
func (m *MetricsServer) Addr() string {
	if m == nil || m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// startMetrics listens on METRICS_ADDR when it is set. It starts before
// the API's listener and stops after it, so the last requests are counted.
func startMetrics(lc fx.Lifecycle, cfg Config, p *telemetry.Providers, log *slog.Logger) *MetricsServer {
	m := &MetricsServer{}
	if cfg.OTel.MetricsAddr == "" || p.MetricsHandler == nil {
		return m
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", p.MetricsHandler)
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ln, err := net.Listen("tcp", cfg.OTel.MetricsAddr)
			if err != nil {
				return fmt.Errorf("listen for metrics on %s: %w", cfg.OTel.MetricsAddr, err)
			}
			m.ln = ln
			go func() {
				if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("metrics server stopped", "error", err.Error())
				}
			}()
			log.Info("metrics endpoint", "addr", ln.Addr().String(), "path", "/metrics")
			return nil
		},
		OnStop: func(ctx context.Context) error {
			return m.srv.Shutdown(ctx)
		},
	})
	return m
}

// parseHeaders reads OTEL_EXPORTER_OTLP_HEADERS: "k1=v1,k2=v2".
func parseHeaders(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range splitList(s) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}
