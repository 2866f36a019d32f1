-- +goose Up
CREATE TABLE users (
    id            text COLLATE "C" PRIMARY KEY,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    first_name    text        NOT NULL,
    last_name     text        NOT NULL,
    roles         text[],
    failed_logins integer     NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT chk_users_id CHECK (id <> ''),
    CONSTRAINT chk_users_email CHECK (email <> '' AND email = btrim(email) AND char_length(email) <= 254),
    CONSTRAINT chk_users_password_hash CHECK (password_hash <> ''),
    CONSTRAINT chk_users_failed_logins CHECK (failed_logins >= 0),
    CONSTRAINT chk_users_updated_at CHECK (updated_at >= created_at)
);
-- Emails are stored normalised; the unique index on lower(email) keeps two
-- spellings of one address from ever coexisting.
CREATE UNIQUE INDEX idx_users_email ON users (lower(email));

CREATE TABLE oauth_clients (
    client_id     text COLLATE "C" PRIMARY KEY,
    name          text        NOT NULL,
    secret_hash   text,
    redirect_uris text[],
    grant_types   text[],
    public        boolean     NOT NULL DEFAULT false,
    first_party   boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT chk_oauth_clients_client_id CHECK (client_id ~ '^[A-Za-z0-9._~-]{1,128}$'),
    CONSTRAINT chk_oauth_clients_name CHECK (name <> ''),
    -- A public client has no secret; a confidential one always has one.
    CONSTRAINT chk_oauth_clients_secret CHECK ((public AND secret_hash IS NULL) OR (NOT public AND secret_hash IS NOT NULL AND secret_hash <> '')),
    CONSTRAINT chk_oauth_clients_updated_at CHECK (updated_at >= created_at)
);

CREATE TABLE scopes (
    id          text COLLATE "C" PRIMARY KEY,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT chk_scopes_id CHECK (id <> ''),
    -- scope-token of RFC 6749 section 3.3.
    CONSTRAINT chk_scopes_name CHECK (name ~ '^[\x21\x23-\x5B\x5D-\x7E]{1,128}$'),
    CONSTRAINT chk_scopes_updated_at CHECK (updated_at >= created_at)
);
CREATE UNIQUE INDEX idx_scopes_name ON scopes (name);
-- The composite key lets client_scopes refer to (id, name), so renaming a
-- scope that a client holds violates fk_client_scopes_scopes.
CREATE UNIQUE INDEX idx_scopes_id_name ON scopes (id, name);

CREATE TABLE client_scopes (
    client_id  text COLLATE "C" NOT NULL,
    scope_id   text COLLATE "C" NOT NULL,
    scope_name text     NOT NULL,
    position   smallint NOT NULL,
    PRIMARY KEY (client_id, scope_id),
    CONSTRAINT fk_client_scopes_oauth_clients FOREIGN KEY (client_id)
        REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    CONSTRAINT fk_client_scopes_scopes FOREIGN KEY (scope_id, scope_name)
        REFERENCES scopes (id, name) ON DELETE RESTRICT ON UPDATE RESTRICT,
    CONSTRAINT chk_client_scopes_position CHECK (position >= 0)
);
CREATE UNIQUE INDEX idx_client_scopes_client_id_position ON client_scopes (client_id, position);
CREATE INDEX idx_client_scopes_scope_id ON client_scopes (scope_id, scope_name);

-- +goose Down
DROP TABLE client_scopes;
DROP TABLE scopes;
DROP TABLE oauth_clients;
DROP TABLE users;
