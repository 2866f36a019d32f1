package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app"
)

// The OTEL_* variables are read as the OpenTelemetry specification
// defines them, and METRICS_ADDR never shares PORT.
func TestConfigOTelVariables(t *testing.T) {
	cfg, err := app.LoadConfig(lookup(map[string]string{
		"PORT": "8080", "METRICS_ADDR": "9464",
		"OTEL_EXPORTER_OTLP_ENDPOINT":                       "http://localhost:4318",
		"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "Delta",
		"OTEL_TRACES_SAMPLER":                               "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0",
		"OTEL_RESOURCE_ATTRIBUTES":    "deployment.environment=staging,team=id%20platform",
		"OTEL_METRIC_EXPORT_INTERVAL": "15000", "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
	}))
	require.NoError(t, err)
	assert.Equal(t, ":9464", cfg.OTel.MetricsAddr)
	assert.Equal(t, "delta", cfg.OTel.MetricsTemporality)
	assert.Equal(t, 15*time.Second, cfg.OTel.MetricInterval)
	assert.Equal(t, 2500*time.Millisecond, cfg.OTel.Timeout)
	opts := app.TelemetryOptions(cfg)
	assert.True(t, opts.Prometheus)
	assert.Equal(t, "staging", opts.Identity().Env, "not APP_ENV")
	assert.Equal(t, "identityd", opts.Identity().Service)
	assert.Equal(t, "id platform", opts.ResourceAttributes["team"])

	off, err := app.LoadConfig(lookup(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318", "OTEL_SDK_DISABLED": "true"}))
	require.NoError(t, err)
	assert.Empty(t, off.OTel.Endpoint, "OTEL_SDK_DISABLED=true exports nothing")

	tests := []struct {
		name string
		give map[string]string
		want string
	}{
		{"metrics on PORT", map[string]string{"PORT": "9000", "METRICS_ADDR": ":9000"}, "METRICS_ADDR: must not be PORT"},
		{"metrics not an address", map[string]string{"METRICS_ADDR": "host:port:x"}, "METRICS_ADDR: must be host:port"},
		{"temporality", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "sometimes"}, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"},
		{"sampler", map[string]string{"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "OTEL_TRACES_SAMPLER"},
		{"sampler ratio", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG"},
		{"resource attributes", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "novalue"}, "OTEL_RESOURCE_ATTRIBUTES"},
		{"export interval", map[string]string{"OTEL_METRIC_EXPORT_INTERVAL": "1m"}, "OTEL_METRIC_EXPORT_INTERVAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := app.LoadConfig(lookup(tt.give))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
