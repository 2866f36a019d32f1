package app

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/telemetry"
)

// newTelemetryProviders sets up OpenTelemetry from the standard OTEL_*
// variables: with no endpoint it exports nothing and costs next to nothing.
func newTelemetryProviders(lc fx.Lifecycle, cfg Config) (*telemetry.Providers, error) {
	p, shutdown, err := telemetry.Setup(context.Background(), telemetry.Options{
		ServiceName: cfg.OTel.ServiceName, Version: cfg.Version, Env: cfg.Env,
		OTLPEndpoint: cfg.OTel.Endpoint, OTLPProtocol: cfg.OTel.Protocol, OTLPHeaders: parseHeaders(cfg.OTel.Headers),
	})
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	lc.Append(fx.Hook{OnStop: shutdown})
	return p, nil
}

func newMetrics(p *telemetry.Providers) (*telemetry.Metrics, error) {
	return telemetry.NewMetrics(p.MeterProvider)
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
