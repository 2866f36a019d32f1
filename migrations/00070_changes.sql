-- +goose Up
-- The change log: one row per change that an instance's in-process caches
-- must follow (a revoked access token, a created, changed or deleted
-- client). Triggers write it in the same transaction as the change itself,
-- so whatever PostgreSQL has committed is in the log, whichever code path
-- made it. Instances read it by id; ids come from a sequence and can
-- commit out of order, so a reader keeps the ids it has not seen below the
-- highest one it has and asks for them again (see adapters/nearcache).
-- Rows live for an hour (expires_at, for the janitor); a reader that fell
-- further behind reloads its caches instead.
CREATE TABLE changes (
    id         bigserial   PRIMARY KEY,
    kind       text        NOT NULL,
    key        text COLLATE "C" NOT NULL,
    -- token.revoked: the token's exp, how long the revocation matters.
    until      timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL DEFAULT now() + interval '1 hour',
    CONSTRAINT chk_changes_kind CHECK (kind IN ('token.revoked', 'client.changed'))
);
CREATE INDEX idx_changes_expires_at ON changes (expires_at);

-- +goose StatementBegin
CREATE FUNCTION log_token_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (kind, key, until) VALUES ('token.revoked', NEW.jti, NEW.expires_at);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION log_client_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO changes (kind, key) VALUES ('client.changed', OLD.client_id);
    ELSE
        INSERT INTO changes (kind, key) VALUES ('client.changed', NEW.client_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER trg_access_tokens_revoked AFTER UPDATE OF revoked_at ON access_tokens
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION log_token_revoked();
CREATE TRIGGER trg_oauth_clients_changed AFTER INSERT OR UPDATE OR DELETE ON oauth_clients
    FOR EACH ROW EXECUTE FUNCTION log_client_changed();
CREATE TRIGGER trg_client_scopes_changed AFTER INSERT OR UPDATE OR DELETE ON client_scopes
    FOR EACH ROW EXECUTE FUNCTION log_client_changed();

-- +goose Down
DROP TRIGGER trg_client_scopes_changed ON client_scopes;
DROP TRIGGER trg_oauth_clients_changed ON oauth_clients;
DROP TRIGGER trg_access_tokens_revoked ON access_tokens;
DROP FUNCTION log_client_changed();
DROP FUNCTION log_token_revoked();
DROP TABLE changes;
