package e2e_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

func TestBadConfigurationExitsWithOneLinePerProblem(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"APP_ENV":            "production",
		"JWT_SECRET":         "short",
		"JWT_REFRESH_SECRET": "alllowercaseandlongenoughbutnothingelse",
		"BCRYPT_COST":        "4",
		"TOKEN_EXPIRY":       "soon",
	}
	code, stdout, stderr := e2e.Run(t, env)
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	for _, want := range []string{
		"JWT_SECRET: must be at least 32 characters",
		"JWT_SECRET: must contain an upper-case letter",
		"JWT_SECRET: must contain a digit",
		"JWT_SECRET: must contain a special character",
		"JWT_REFRESH_SECRET: must contain an upper-case letter",
		"BCRYPT_COST: must be a whole number from 10 to 31",
		"TOKEN_EXPIRY: must be a positive duration",
		"ISSUER_URL: must use https in production",
	} {
		assert.Contains(t, stderr, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		assert.True(t, strings.HasPrefix(line, "identityd: configuration: "), line)
	}
	assert.NotContains(t, stderr, "short", "no secret value is printed")
	assert.NotContains(t, stderr, "alllowercase")
}

func TestProductionNeedsSecrets(t *testing.T) {
	t.Parallel()
	code, _, stderr := e2e.Run(t, map[string]string{"APP_ENV": "production", "ISSUER_URL": "https://id.example.com"})
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "JWT_SECRET: is required in production")
	assert.Contains(t, stderr, "JWT_REFRESH_SECRET: is required in production")
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, stdout, _ := e2e.Run(t, nil, "version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(stdout, "identityd "))
	code, _, stderr := e2e.Run(t, nil, "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unknown command")
}

// With no configuration at all the server starts in memory, says so in one
// warning line, and offers a development admin client that works.
func TestFreshStartInMemory(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, map[string]string{
		"APP_ENV": "development", "JWT_SECRET": "", "JWT_REFRESH_SECRET": "", "LOG_LEVEL": "info", "DATABASE_URL": "", "REDIS_URL": "",
		"BOOTSTRAP_ADMIN_CLIENT_ID": "", "BOOTSTRAP_ADMIN_CLIENT_SECRET": "",
	})
	warnings := 0
	for _, line := range strings.Split(p.Stdout(), "\n") {
		if strings.Contains(line, `"level":"WARN"`) {
			warnings++
			assert.Contains(t, line, "in-memory")
		}
	}
	assert.Equal(t, 1, warnings, p.Stdout())
	// The banner is printed by the start hook after the one that starts
	// serving, so /healthz may answer a moment before it appears.
	require.Eventually(t, func() bool { return strings.Contains(p.Stderr(), "client_secret:") }, 10*time.Second, 10*time.Millisecond,
		"the development admin client is shown: %s", p.Stderr())
	var id, secret string
	for _, line := range strings.Split(p.Stderr(), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "client_id:"); ok {
			id = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "client_secret:"); ok {
			secret = strings.TrimSpace(v)
		}
	}
	require.NotEmpty(t, secret, p.Stderr())
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, p.Stdout(), secret, "the generated secret is shown once on stderr, never logged")
}

// SIGTERM drains: /readyz turns 503 while the listener stays open, a
// request in flight completes, and the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, map[string]string{"SHUTDOWN_DRAIN_DELAY": "5s"})
	resp, err := http.Get(p.URL + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// A slow client: the token request's headers are sent, its body is
	// held back until after SIGTERM.
	body := "grant_type=client_credentials"
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	basic := base64.StdEncoding.EncodeToString([]byte(apptest.AdminClientID + ":" + apptest.AdminClientSecret))
	_, err = fmt.Fprintf(conn, "POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", basic, len(body), body[:5])
	require.NoError(t, err)

	require.NoError(t, p.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool {
		r, err := http.Get(p.URL + "/readyz")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusServiceUnavailable
	}, 10*time.Second, 20*time.Millisecond, "readyz turns 503 while draining")

	_, err = conn.Write([]byte(body[5:]))
	require.NoError(t, err)
	r, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, http.StatusOK, r.StatusCode, "the request in flight completes")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, err := p.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Contains(t, p.Stdout(), `"msg":"stopped"`)
}

// The image's HEALTHCHECK runs "identityd healthcheck" against PORT.
func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, nil)
	port := p.URL[strings.LastIndexByte(p.URL, ':')+1:]
	code, _, stderr := e2e.Run(t, map[string]string{"PORT": port}, "healthcheck")
	assert.Equal(t, 0, code, stderr)
	code, _, stderr = e2e.Run(t, map[string]string{"PORT": fmt.Sprint(apptest.FreePort(t))}, "healthcheck")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "healthcheck")
}
