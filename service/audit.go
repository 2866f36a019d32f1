package service

import (
	"context"
	"log/slog"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// RequestInfo is what the transport knows about the caller of a request.
type RequestInfo struct {
	IP        string
	UserAgent string
	RequestID string
	// Device is the identifier in the caller's device cookie, already
	// checked by the transport, or a new one it will set on success: the
	// sign-in handlers set it (see Accounts.Authenticate).
	Device string
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying info.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFrom returns the request info in ctx, if any.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}

// Actor is who makes a management change: the subject of the access token
// presented and the client it was issued to, or the server itself at
// start-up (ActorBootstrap).
type Actor struct {
	// Type is core.AuditActorUser when the token was issued to a person,
	// core.AuditActorClient for a client's own token (client_credentials),
	// core.AuditActorSystem for the server itself.
	Type     string
	ID       string
	ClientID string
}

// ActorBootstrap is the actor of what the server creates at start.
var ActorBootstrap = Actor{Type: core.AuditActorSystem, ID: "bootstrap"}

type actorKey struct{}

// WithActor returns ctx carrying the actor of the changes made under it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx; the zero Actor when none.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// RecordChange records a successful management change by the actor in ctx
// to e (its Type, SubjectID, the UserID and ClientID concerned, Detail and
// Details, none holding a secret). When e names no client, the client the
// actor used is recorded; when it names no person and a person acted, that
// person is, so a query by person finds what they changed.
func (a *Audit) RecordChange(ctx context.Context, e core.AuditEvent) {
	actor := ActorFrom(ctx)
	e.ActorType, e.ActorID, e.Success = actor.Type, actor.ID, true
	if e.ActorType == "" {
		e.ActorType = core.AuditActorSystem
	}
	if e.ClientID == "" {
		e.ClientID = actor.ClientID
	}
	if e.UserID == "" && actor.Type == core.AuditActorUser {
		e.UserID = actor.ID
	}
	if actor.ClientID != "" && actor.ClientID != e.ClientID {
		if e.Details == nil {
			e.Details = map[string]any{}
		}
		e.Details["actor_client_id"] = actor.ClientID
	}
	a.Record(ctx, e)
}

// Audit records security events through the audit port and the log. A
// failure to record is logged, never returned: the audited action has
// already happened.
type Audit struct {
	log    ports.AuditLog
	logger *slog.Logger
	clock  ports.Clock
	random ports.Random
}

// NewAudit returns the audit recorder.
func NewAudit(log ports.AuditLog, logger *slog.Logger, clock ports.Clock, random ports.Random) *Audit {
	return &Audit{log: log, logger: logger, clock: clock, random: random}
}

// Record fills in the id, time and request details of e and stores it. A
// nil Audit records nothing, so services built without one (in unit tests)
// need no stub.
func (a *Audit) Record(ctx context.Context, e core.AuditEvent) {
	if a == nil {
		return
	}
	info := RequestInfoFrom(ctx)
	e.ID, e.CreatedAt = a.random.NewID(), a.clock.Now()
	e.IP, e.UserAgent, e.RequestID = info.IP, info.UserAgent, info.RequestID
	a.logger.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("event", e.Type), slog.Bool("success", e.Success), slog.String("actor_type", e.ActorType), slog.String("actor_id", e.ActorID),
		slog.String("subject_id", e.SubjectID), slog.String("user_id", e.UserID), slog.String("client_id", e.ClientID), slog.String("ip", e.IP),
		slog.String("request_id", e.RequestID), slog.String("detail", e.Detail))
	if err := a.log.RecordAudit(ctx, e); err != nil {
		a.logger.LogAttrs(ctx, slog.LevelWarn, "audit event not stored", slog.String("event", e.Type), slog.String("error", err.Error()))
	}
}
