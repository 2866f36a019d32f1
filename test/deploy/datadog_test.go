package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/telemetry"
)

// emittedMetrics are the metric names identityd's meters report, as
// Datadog receives them over OTLP: its own instruments, and the Go
// runtime's of the OpenTelemetry runtime instrumentation.
var emittedMetrics = map[string]bool{
	telemetry.MetricHTTPServerDuration: true, telemetry.MetricTokensIssued: true, telemetry.MetricSignIns: true,
	telemetry.MetricRateLimitRejections: true, telemetry.MetricDBConnectionCount: true, telemetry.MetricDBConnectionMax: true,
	telemetry.MetricAuditPending: true, telemetry.MetricAuditDropped: true, telemetry.MetricCacheRequests: true,
	telemetry.MetricReadiness: true,
	"go.memory.used":          true, "go.goroutine.count": true,
}

// metricRef finds "aggregation:metric.name{" in a Datadog query.
var metricRef = regexp.MustCompile(`\b(?:sum|avg|min|max|count|p50|p75|p90|p95|p99):([a-z0-9_.]+)\{`)

func metricsOf(t *testing.T, query string) []string {
	t.Helper()
	var out []string
	for _, m := range metricRef.FindAllStringSubmatch(query, -1) {
		out = append(out, m[1])
	}
	require.NotEmpty(t, out, "no metric in %q", query)
	return out
}

// The monitors under deploy/datadog/monitors are what Datadog's "Import
// monitor from JSON" takes: one per concern the operators asked for, each
// on a metric identityd emits, its threshold in the query equal to the
// critical one, the warning on the safe side of it.
func TestDatadogMonitors(t *testing.T) {
	dir := filepath.Join(root, "deploy", "datadog", "monitors")
	want := []string{"error-rate", "latency", "failed-sign-ins", "lockouts", "rate-limit-rejections", "audit-backlog", "readiness"}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	assert.ElementsMatch(t, want, names)

	query := regexp.MustCompile(`^(?:sum|avg|max|min|percentile)\(last_\d+[mh]\):.+ (<|>|<=|>=) (\d+(?:\.\d+)?)$`)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			var m struct {
				Name    string   `json:"name"`
				Type    string   `json:"type"`
				Query   string   `json:"query"`
				Message string   `json:"message"`
				Tags    []string `json:"tags"`
				Options struct {
					Thresholds   map[string]float64 `json:"thresholds"`
					NotifyNoData bool               `json:"notify_no_data"`
				} `json:"options"`
			}
			require.NoError(t, json.Unmarshal(data, &m))
			assert.NotEmpty(t, m.Name)
			assert.Contains(t, []string{"query alert", "metric alert"}, m.Type)
			assert.NotEmpty(t, m.Message)
			assert.Contains(t, m.Tags, "service:identityd")
			sub := query.FindStringSubmatch(m.Query)
			require.NotNil(t, sub, "query %q is not timeframe(aggregation):... <op> threshold", m.Query)
			crit, err := strconv.ParseFloat(sub[2], 64)
			require.NoError(t, err)
			assert.Equal(t, crit, m.Options.Thresholds["critical"], "the query's threshold is the critical one")
			if warn, ok := m.Options.Thresholds["warning"]; ok {
				if strings.HasPrefix(sub[1], ">") {
					assert.Less(t, warn, crit, "warning comes before critical")
				} else {
					assert.Greater(t, warn, crit, "warning comes before critical")
				}
			}
			assert.Equal(t, strings.Count(m.Query, "("), strings.Count(m.Query, ")"), "balanced parentheses")
			assert.Equal(t, strings.Count(m.Query, "{"), strings.Count(m.Query, "}"), "balanced braces")
			for _, name := range metricsOf(t, m.Query) {
				assert.True(t, emittedMetrics[name], "%s is not a metric identityd emits", name)
			}
			for _, tag := range regexp.MustCompile(`\{\{([a-z0-9_.]+)\.name\}\}`).FindAllStringSubmatch(m.Name+m.Message, -1) {
				assert.Contains(t, m.Query, tag[1], "the message names %s, which the query groups by", tag[1])
			}
		})
	}
}

// The dashboard is Datadog's dashboard JSON (Dashboards > New > Import
// dashboard JSON): every widget queries metrics identityd emits, and every
// metric identityd emits is on it.
func TestDatadogDashboard(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "deploy", "datadog", "dashboard.json"))
	require.NoError(t, err)
	var d struct {
		Title      string `json:"title"`
		LayoutType string `json:"layout_type"`
		Templates  []struct {
			Name, Prefix string
		} `json:"template_variables"`
		Widgets []struct {
			Definition struct {
				Type     string `json:"type"`
				Title    string `json:"title"`
				Requests []struct {
					Q string `json:"q"`
				} `json:"requests"`
			} `json:"definition"`
		} `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal(data, &d))
	assert.NotEmpty(t, d.Title)
	assert.Contains(t, []string{"ordered", "free"}, d.LayoutType)
	seen := map[string]bool{}
	for _, w := range d.Widgets {
		assert.NotEmpty(t, w.Definition.Type)
		assert.NotEmpty(t, w.Definition.Title)
		require.NotEmpty(t, w.Definition.Requests, w.Definition.Title)
		for _, r := range w.Definition.Requests {
			assert.Contains(t, r.Q, "$env", "%s: filtered by the env template variable", w.Definition.Title)
			for _, name := range metricsOf(t, r.Q) {
				assert.True(t, emittedMetrics[name], "%s: %s is not a metric identityd emits", w.Definition.Title, name)
				seen[name] = true
			}
		}
	}
	for name := range emittedMetrics {
		assert.True(t, seen[name], "%s is on no widget", name)
	}
	var env bool
	for _, v := range d.Templates {
		env = env || (v.Name == "env" && v.Prefix == "env")
	}
	assert.True(t, env, "an env template variable")
}
