package http

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/identityd/identityd/ports"
)

// ReadinessCheck is one dependency /readyz asks.
type ReadinessCheck struct {
	// Name is the key in the answer's "checks" ("store", "cache").
	Name   string
	Pinger ports.Pinger
	// Degrading marks a dependency without which requests still succeed
	// (Redis: rate limits and change notices): its absence makes /readyz
	// answer 200 "degraded", not 503.
	Degrading bool
}

// Readiness states, in the "status" of /readyz.
const (
	ReadyOK          = "ok"
	ReadyDegraded    = "degraded"
	ReadyUnavailable = "unavailable"
	ReadyDraining    = "draining"
)

// readyTimeout bounds each check of /readyz.
const readyTimeout = 2 * time.Second

// Readiness answers whether this instance can serve requests (contract
// §3, Operations): ReadyDraining after Drain, ReadyUnavailable when a
// check that is not Degrading fails, ReadyDegraded when only Degrading
// ones fail, else ReadyOK; with the result of each check ("ok" or
// "unavailable"). The checks run concurrently, each bounded by 2 s.
func (h *Handler) Readiness(ctx context.Context) (string, map[string]string) {
	if h.draining.Load() {
		return ReadyDraining, nil
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	errs := make([]error, len(h.checks))
	var wg sync.WaitGroup
	for i, c := range h.checks {
		wg.Go(func() { errs[i] = c.Pinger.Ping(ctx) })
	}
	wg.Wait()
	status, checks := ReadyOK, make(map[string]string, len(h.checks))
	for i, c := range h.checks {
		if errs[i] == nil {
			checks[c.Name] = "ok"
			continue
		}
		h.log.LogAttrs(ctx, slog.LevelWarn, "not ready", slog.String("check", c.Name), slog.String("error", errs[i].Error()))
		checks[c.Name] = ReadyUnavailable
		switch {
		case !c.Degrading:
			status = ReadyUnavailable
		case status == ReadyOK:
			status = ReadyDegraded
		}
	}
	return status, checks
}

// readyz is GET /readyz: 200 for ReadyOK and ReadyDegraded (requests
// still succeed, so a load balancer must keep sending them: App Service
// replaces an instance its health check calls unhealthy for an hour), 503
// for ReadyUnavailable and ReadyDraining.
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	status, checks := h.Readiness(r.Context())
	code := http.StatusOK
	if status == ReadyUnavailable || status == ReadyDraining {
		code = http.StatusServiceUnavailable
	}
	body := map[string]any{"status": status}
	if checks != nil {
		body["checks"] = checks
	}
	writeJSON(w, code, body)
}
