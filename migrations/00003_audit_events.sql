-- +goose Up
-- Audit events have no foreign keys: the record of what happened outlives
-- the users and clients it names. They never carry a secret.
CREATE TABLE audit_events (
    id         text COLLATE "C" PRIMARY KEY,
    type       text        NOT NULL,
    actor_id   text        NOT NULL DEFAULT '',
    subject_id text        NOT NULL DEFAULT '',
    client_id  text        NOT NULL DEFAULT '',
    ip         text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT '',
    request_id text        NOT NULL DEFAULT '',
    success    boolean     NOT NULL,
    detail     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    CONSTRAINT chk_audit_events_id CHECK (id <> ''),
    CONSTRAINT chk_audit_events_type CHECK (type <> '')
);
CREATE INDEX idx_audit_events_created_at ON audit_events (created_at);

-- +goose Down
DROP TABLE audit_events;
