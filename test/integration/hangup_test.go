package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// Clients that hang up in the middle of refreshes, sign-ins, device polls
// and introspections, many at once: what fails because they left (a cancelled
// query, a transaction the driver already rolled back, a token write
// abandoned) is their doing, never a 500 in the log, and the requests that
// stay get their answer. On PostgreSQL a sign-in and a device's poll run
// the transactions of the hot paths (the login throttle's count and reset,
// the device it remembers, the poll interval); a hang-up lands anywhere in
// a sign-in, up to its whole length.
func TestClientsThatHangUpCauseNoServerError(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"RATE_LIMIT_ENABLED": "false"})
	admin := s.AdminToken(t)
	post := func(ctx context.Context, path, id, secret string, form url.Values) (int, map[string]any, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if id != "" {
			req.SetBasicAuth(id, secret)
		}
		resp, err := s.HTTP.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, nil, err
		}
		var body map[string]any
		_ = json.Unmarshal(data, &body)
		return resp.StatusCode, body, nil
	}
	signIn := func(ctx context.Context, email string) (int, string, error) {
		data, _ := json.Marshal(map[string]string{"email": email, "password": adminPassword})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/api/auth/login", bytes.NewReader(data))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.HTTP.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}

	const workers, rounds = 4, 10
	// Sign-ins run transactions only on PostgreSQL, and each costs a
	// password hash: a few, and only there.
	signInRounds := 0
	if os.Getenv(apptest.EnvBackend) == "postgres" {
		signInRounds = 2
	}
	device := newClient(t, s.Server, false, false, []string{core.GrantDeviceCode})
	var wg sync.WaitGroup
	for w := range workers {
		email := "hangup-" + strconv.Itoa(w) + "@example.com"
		register(t, s.Server, email, adminPassword)
		wg.Go(func() {
			start := time.Now()
			token := login(t, s.Server, email, adminPassword).RefreshToken
			signInTook := time.Since(start)
			status, da := startDevice(t, s.Server, device, "")
			require.Equal(t, http.StatusOK, status, da.Error)
			for round := range rounds {
				// A device polls and hangs up: each poll is recorded,
				// in a transaction, to keep its interval.
				ctx, cancel := context.WithTimeout(t.Context(), time.Duration(rand.IntN(3000))*time.Microsecond)
				status, body, err := post(ctx, "/oauth/token", device.ID, device.Secret, url.Values{"grant_type": {core.GrantDeviceCode}, "device_code": {da.DeviceCode}})
				cancel()
				if err == nil {
					assert.Less(t, status, 500, "%v", body)
				}

				if round < signInRounds {
					// A sign-in cut off anywhere; then one that stays,
					// which resets the throttle's count the first may
					// have left.
					ctx, cancel := context.WithTimeout(t.Context(), time.Duration(rand.Int64N(int64(signInTook)*6/5+1)))
					status, body, err := signIn(ctx, email)
					cancel()
					if err == nil {
						assert.Less(t, status, 500, "sign-in: %s", body)
					}
					status, body, err = signIn(t.Context(), email)
					if assert.NoError(t, err) {
						assert.Equal(t, http.StatusOK, status, "sign-in after one that hung up: %s", body)
					}
				}
				// Hang up after up to 3 ms: before, during or after
				// the rotation.
				ctx, cancel = context.WithTimeout(t.Context(), time.Duration(rand.IntN(3000))*time.Microsecond)
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {"identity-web"}}
				status, body, err = post(ctx, "/oauth/token", "", "", form)
				cancel()
				if err == nil {
					assert.Less(t, status, 500, "%v", body)
					if next, ok := body["refresh_token"].(string); ok {
						token = next
						continue
					}
				}
				// Whether the rotation committed is unknown: try the
				// same token again, else start a new family.
				status, body, err = post(t.Context(), "/oauth/token", "", "", form)
				if !assert.NoError(t, err) {
					return
				}
				if next, ok := body["refresh_token"].(string); ok && status == http.StatusOK {
					token = next
				} else {
					token = login(t, s.Server, email, adminPassword).RefreshToken
				}
				ctx, cancel = context.WithTimeout(t.Context(), time.Duration(rand.IntN(1000))*time.Microsecond)
				status, body, err = post(ctx, "/oauth/introspect", apptest.AdminClientID, apptest.AdminClientSecret, url.Values{"token": {admin}})
				cancel()
				if err == nil {
					assert.Less(t, status, 500, "%v", body)
				}
			}
		})
	}
	wg.Wait()
	for _, line := range strings.Split(s.Logs(), "\n") {
		if strings.Contains(line, `"status":500`) || strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("a client that hung up is logged as a server error: %s", line)
		}
	}
}
