package app

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/telemetry"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// newAudit puts the store's audit log behind a bounded queue written by one
// goroutine (see service.AuditQueue) and returns the recorder the services
// and handlers use. The queue is drained when the application stops: its
// stop hook is registered before the server's, so fx runs it after the
// server has finished its in-flight requests.
func newAudit(lc fx.Lifecycle, log ports.AuditLog, logger *slog.Logger, clock ports.Clock, random ports.Random, metrics *telemetry.Metrics) (*service.Audit, *service.AuditQueue, error) {
	q := service.NewAuditQueue(log, logger, service.DefaultAuditQueueSize)
	unregister, err := metrics.RegisterAudit(q.Pending, q.Dropped)
	if err != nil {
		_ = q.Close(context.Background())
		return nil, nil, err
	}
	lc.Append(fx.Hook{OnStop: func(ctx context.Context) error {
		err := q.Close(ctx)
		_ = unregister()
		return err
	}})
	// Sign-ins are counted from their audit events, which are written
	// exactly once each, whatever page or endpoint the attempt came by.
	return service.NewAudit(telemetry.CountSignIns(q, metrics), logger, clock, random), q, nil
}

// newAuditEvents is the audit log query (GET /api/audit-events); each
// query first waits for the events queued before it.
func newAuditEvents(reader ports.AuditReader, q *service.AuditQueue) *service.AuditEvents {
	return service.NewAuditEvents(reader, q.Flush)
}
