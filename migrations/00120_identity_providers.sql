-- +goose Up
-- Upstream OpenID Providers people may sign in with, and the links of
-- people to their accounts there. The client secret is sealed
-- (AES-256-GCM under a key derived from JWT_REFRESH_SECRET; the sealed
-- value names its key), never stored in clear.
CREATE TABLE identity_providers (
    id                   text COLLATE "C" PRIMARY KEY,
    name                 text        NOT NULL,
    issuer               text        NOT NULL,
    client_id            text        NOT NULL,
    client_secret_sealed bytea       NOT NULL,
    scopes               text[]      NOT NULL DEFAULT '{}',
    link_by_email        boolean     NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    CONSTRAINT chk_identity_providers_id CHECK (id ~ '^[a-z0-9-]{2,32}$'),
    CONSTRAINT chk_identity_providers_updated_at CHECK (updated_at >= created_at)
);

-- A person's link to an upstream account: (issuer, subject) identifies the
-- upstream account (OpenID Connect Core §5.7) and signs in as user_id; a
-- person has at most one link per provider.
CREATE TABLE user_identities (
    issuer      text COLLATE "C" NOT NULL,
    subject     text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL,
    provider_id text COLLATE "C" NOT NULL,
    email       text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (issuer, subject),
    CONSTRAINT fk_user_identities_users FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_identities_identity_providers FOREIGN KEY (provider_id)
        REFERENCES identity_providers (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_user_identities_user_id ON user_identities (user_id, provider_id);
CREATE INDEX idx_user_identities_provider_id ON user_identities (provider_id);

-- Every instance caches the providers; the change log tells them when one
-- changed (see 00070_changes.sql). The kind check becomes a pattern so
-- that kinds added by later migrations need not restate the list.
ALTER TABLE changes DROP CONSTRAINT chk_changes_kind;
ALTER TABLE changes ADD CONSTRAINT chk_changes_kind CHECK (kind ~ '^[a-z_]+\.[a-z_]+$');

-- +goose StatementBegin
CREATE FUNCTION log_identity_provider_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO changes (kind, key) VALUES ('idp.changed', OLD.id);
    ELSE
        INSERT INTO changes (kind, key) VALUES ('idp.changed', NEW.id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER trg_identity_providers_changed AFTER INSERT OR UPDATE OR DELETE ON identity_providers
    FOR EACH ROW EXECUTE FUNCTION log_identity_provider_changed();

-- +goose Down
DROP TRIGGER trg_identity_providers_changed ON identity_providers;
DROP FUNCTION log_identity_provider_changed();
DELETE FROM changes WHERE kind = 'idp.changed';
DROP TABLE user_identities;
DROP TABLE identity_providers;
