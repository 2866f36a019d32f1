package integration_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/telemetry"
	"github.com/identityd/identityd/app/apptest"
)

// A token request produces a server span named by its route, with the
// grant type and client id and no secret, and the request and token
// metrics.
func TestTelemetryOfATokenRequest(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	reader := sdkmetric.NewManualReader()
	providers, shutdown, err := telemetry.Setup(context.Background(), telemetry.Options{ServiceName: "identityd-test", SpanExporter: spans, MetricReader: reader})
	require.NoError(t, err)
	t.Cleanup(func() { _ = shutdown(context.Background()) })

	s := apptest.Start(t, nil, fx.Replace(providers))
	tok := s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, "")
	require.Equal(t, http.StatusOK, tok.Status)

	if f, ok := providers.TracerProvider.(interface{ ForceFlush(context.Context) error }); ok {
		require.NoError(t, f.ForceFlush(context.Background()))
	}
	var found bool
	for _, sp := range spans.GetSpans() {
		if sp.Name != "POST /oauth/token" {
			continue
		}
		found = true
		attrs := map[string]string{}
		for _, a := range sp.Attributes {
			attrs[string(a.Key)] = a.Value.String()
			assert.NotContains(t, a.Value.String(), apptest.AdminClientSecret)
			assert.NotContains(t, a.Value.String(), tok.AccessToken)
		}
		assert.Equal(t, "client_credentials", attrs["oauth.grant_type"])
		assert.Equal(t, apptest.AdminClientID, attrs["oauth.client_id"])
		assert.Equal(t, "/oauth/token", attrs["http.route"])
		assert.Equal(t, "200", attrs["http.response.status_code"])
	}
	assert.True(t, found, "a span for the token request")
	if s.Config.Database.URL != "" {
		var db, cache bool
		for _, sp := range spans.GetSpans() {
			for _, a := range sp.Attributes {
				db = db || (a.Key == "db.system" && a.Value.String() == "postgresql")
				cache = cache || (a.Key == "db.system" && a.Value.String() == "redis")
			}
		}
		assert.True(t, db, "PostgreSQL queries are traced")
		assert.True(t, cache, "Redis commands are traced")
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	names := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names[m.Name] = true
		}
	}
	assert.True(t, names["http.server.request.duration"], "request latency histogram: %v", names)
	var issued bool
	for n := range names {
		if n == "identityd.tokens.issued" {
			issued = true
		}
	}
	assert.True(t, issued, "tokens issued counter: %v", names)
}
