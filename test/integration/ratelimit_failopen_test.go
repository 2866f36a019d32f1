package integration_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/fx"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// downStore is a rate-limit store whose backend does not answer.
type downStore struct{}

func (downStore) Allow(context.Context, string, core.RateLimit, time.Time) (core.RateLimitResult, error) {
	return core.RateLimitResult{}, fmt.Errorf("redis: %w", errors.Join(core.ErrUnavailable, errors.New("connection refused")))
}

func TestRateLimitStoreDownFailsOpen(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_GLOBAL": "1/1h"},
		fx.Decorate(func(ports.RateLimitStore) ports.RateLimitStore { return downStore{} }))
	for range 3 {
		resp, body := s.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Empty(t, resp.Header.Get("RateLimit-Limit"), "no numbers when nothing was counted")
	}
	assert.Contains(t, s.Logs(), "rate limit store failed; requests pass unlimited")
}
