-- +goose NO TRANSACTION
-- +goose Up
-- Keyset pagination newest first, by person, by client, by type (and type
-- prefix, read type by type) and over everything: each an index whose order
-- is the answer's order, so a page costs the same at 10^7 events as at 10.
-- Built CONCURRENTLY: a large audit table stays writable meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_events_user_id ON audit_events (user_id, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_events_client_id ON audit_events (client_id, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_events_type ON audit_events (type, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_events_created_at_id ON audit_events (created_at DESC, id DESC);
DROP INDEX CONCURRENTLY IF EXISTS idx_audit_events_created_at;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_events_created_at ON audit_events (created_at);
DROP INDEX CONCURRENTLY IF EXISTS idx_audit_events_created_at_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_audit_events_type;
DROP INDEX CONCURRENTLY IF EXISTS idx_audit_events_client_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_audit_events_user_id;
