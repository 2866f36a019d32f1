package http

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
)

// A failure after the client hung up is 499, logged below warning; the
// same failure for a client still waiting stays a server error.
func TestClientGoneIsNotAServerError(t *testing.T) {
	t.Parallel()
	failures := []error{
		fmt.Errorf("rotate refresh token: commit: %w", sql.ErrTxDone),
		fmt.Errorf("save access token: %w", context.Canceled),
		fmt.Errorf("revoke: %w: %w", core.ErrUnavailable, context.Canceled),
	}
	for _, err := range failures {
		var logs bytes.Buffer
		h := &Handler{log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w := httptest.NewRecorder()
		h.writeError(w, httptest.NewRequest(http.MethodPost, "/oauth/token", nil).WithContext(ctx), err)
		assert.Equal(t, StatusClientClosedRequest, w.Code, err.Error())
		assert.Empty(t, logs.String(), err.Error())

		w = httptest.NewRecorder()
		h.writeError(w, httptest.NewRequest(http.MethodPost, "/oauth/token", nil), err)
		assert.GreaterOrEqual(t, w.Code, 500, "the client still waits: %v", err)
	}
}
