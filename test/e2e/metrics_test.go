package e2e_test

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// METRICS_ADDR serves the Prometheus text format of the existing
// instruments, and only there: request counts and durations by route and
// status, tokens by grant type, sign-ins by result (a lockout included),
// rate-limit rejections, the audit backlog, cache hits (PostgreSQL) and the
// Go runtime. With an OTLP endpoint and a resource environment of its own,
// every request log line carries Datadog's correlation fields, with
// dd.env the resource's, not APP_ENV.
func TestMetricsEndpointAndDatadogLogFields(t *testing.T) {
	t.Parallel()
	var traces atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/v1/traces" {
			traces.Add(1)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(receiver.Close)
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", apptest.FreePort(t))
	const email, password = "ops@example.com", "Correct-Horse-Battery-9"
	p := e2e.Start(t, map[string]string{
		"METRICS_ADDR":                metricsAddr,
		"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.URL,
		"OTEL_RESOURCE_ATTRIBUTES":    "deployment.environment=staging",
		"OTEL_SERVICE_NAME":           "identityd-e2e",
		"BOOTSTRAP_ADMIN_EMAIL":       email,
		"BOOTSTRAP_ADMIN_PASSWORD":    password,
		"RATE_LIMIT_TOKEN":            "2/1h",
		"LOG_LEVEL":                   "info",
	})

	token := func() int {
		form := url.Values{"grant_type": {"client_credentials"}}
		req, err := http.NewRequest(http.MethodPost, p.URL+"/oauth/token", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(apptest.AdminClientID, apptest.AdminClientSecret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, token())
	require.Equal(t, http.StatusOK, token())
	require.Equal(t, http.StatusTooManyRequests, token(), "RATE_LIMIT_TOKEN=2/1h")

	login := func(pw string) int {
		body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
		resp, err := http.Post(p.URL+"/api/auth/login", "application/json", strings.NewReader(string(body)))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, login(password))
	// Three free failures, then the account's back-off refuses at once.
	// The back-off starts at a second and doubles with each failure, so
	// on a machine busy enough for one bcrypt to outlast it a failure may
	// still be counted as one; within a few more the window outgrows any
	// delay and a guess is refused as locked.
	attempts := 0
	for attempts < 3 || sample(metricsText(t, metricsAddr), `identityd_signins_total{identityd_signin_result="locked"`) == "" {
		require.Less(t, attempts, 12, "no guess was refused by the back-off")
		require.Equal(t, http.StatusUnauthorized, login("wrong-password"))
		attempts++
	}

	status, body := get(t, p.URL+"/metrics")
	assert.Equal(t, http.StatusNotFound, status, "never on PORT")
	assert.NotContains(t, body, "identityd_tokens_issued_total")

	status, body = get(t, "http://"+metricsAddr+"/metrics")
	require.Equal(t, http.StatusOK, status)
	for _, want := range []string{
		`http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="200",http_route="/oauth/token"`,
		`http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="429",http_route="/oauth/token"`,
		`http_server_request_duration_seconds_bucket{`,
		`identityd_tokens_issued_total{oauth_grant_type="client_credentials"`,
		`identityd_signins_total{identityd_signin_result="succeeded"`,
		`identityd_signins_total{identityd_signin_result="failed"`,
		`identityd_signins_total{identityd_signin_result="locked"`,
		`identityd_ratelimit_rejections_total{identityd_ratelimit_name="token"`,
		`identityd_audit_pending{`,
		`go_goroutine_count{`,
		`go_memory_used_bytes{`,
		`deployment_environment="staging"`,
	} {
		assert.Contains(t, body, want)
	}
	assert.Equal(t, "2", sample(body, `identityd_tokens_issued_total{oauth_grant_type="client_credentials"`))
	failed, _ := strconv.Atoi(sample(body, `identityd_signins_total{identityd_signin_result="failed"`))
	locked, _ := strconv.Atoi(sample(body, `identityd_signins_total{identityd_signin_result="locked"`))
	assert.GreaterOrEqual(t, failed, 3, "three free failures")
	assert.Equal(t, 1, locked, "the loop stops at the first refusal")
	assert.Equal(t, attempts, failed+locked, "every wrong guess is counted once")
	assert.Equal(t, "2", sample(body, `identityd_readiness{`), "2: ready")
	if os.Getenv(apptest.EnvBackend) == "postgres" {
		assert.Contains(t, body, `identityd_cache_requests_total{identityd_cache_name="clients",identityd_cache_result="hit"`)
	}
	assert.NotContains(t, body, apptest.AdminClientSecret)
	assert.NotContains(t, body, password)

	// Datadog's fields in the lines that have a span.
	var correlated int
	sc := bufio.NewScanner(strings.NewReader(p.Stdout()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		tid, ok := line["trace_id"].(string)
		if !ok {
			continue
		}
		correlated++
		raw, err := hex.DecodeString(tid)
		require.NoError(t, err)
		require.Len(t, raw, 16)
		assert.Equal(t, strconv.FormatUint(binary.BigEndian.Uint64(raw[8:]), 10), line["dd.trace_id"], sc.Text())
		sid, _ := line["span_id"].(string)
		rawSpan, err := hex.DecodeString(sid)
		require.NoError(t, err)
		assert.Equal(t, strconv.FormatUint(binary.BigEndian.Uint64(rawSpan), 10), line["dd.span_id"])
		assert.Equal(t, "identityd-e2e", line["dd.service"])
		assert.Equal(t, "staging", line["dd.env"], "the resource's environment, not APP_ENV")
		assert.NotEmpty(t, line["dd.version"])
	}
	assert.Positive(t, correlated, "request lines carry the span: %s", p.Stdout())

	p.Stop(t)
	assert.Eventually(t, func() bool { return traces.Load() > 0 }, 5*time.Second, 50*time.Millisecond, "spans reach the OTLP receiver")
}

// metricsText reads the Prometheus text of the metrics listener at addr.
func metricsText(t *testing.T, addr string) string {
	t.Helper()
	status, body := get(t, "http://"+addr+"/metrics")
	require.Equal(t, http.StatusOK, status)
	return body
}

// sample returns the value of the first sample whose line starts with
// prefix, without the labels' closing part.
func sample(body, prefix string) string {
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, prefix) {
			if i := strings.LastIndexByte(line, ' '); i >= 0 {
				return line[i+1:]
			}
		}
	}
	return ""
}
