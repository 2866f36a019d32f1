-- +goose Up
-- Access-token records have no foreign keys on purpose: they outlive the
-- deletion of their client or user, revoked, until they expire, so that
-- introspection keeps answering "revoked" and a revocation cache can be
-- refilled from them.
CREATE TABLE access_tokens (
    jti          text COLLATE "C" PRIMARY KEY,
    issuer       text        NOT NULL,
    subject      text        NOT NULL,
    audience     text[],
    client_id    text COLLATE "C" NOT NULL,
    scopes       text[],
    user_id      text COLLATE "C",
    family_id    text COLLATE "C",
    auth_code_id text COLLATE "C",
    issued_at    timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CONSTRAINT chk_access_tokens_jti CHECK (jti <> ''),
    CONSTRAINT chk_access_tokens_expires_at CHECK (expires_at > issued_at)
);
CREATE INDEX idx_access_tokens_client_id ON access_tokens (client_id);
CREATE INDEX idx_access_tokens_user_id ON access_tokens (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX idx_access_tokens_family_id ON access_tokens (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX idx_access_tokens_auth_code_id ON access_tokens (auth_code_id) WHERE auth_code_id IS NOT NULL;
CREATE INDEX idx_access_tokens_expires_at ON access_tokens (expires_at);
CREATE INDEX idx_access_tokens_revoked_at ON access_tokens (revoked_at) WHERE revoked_at IS NOT NULL;

-- Refresh tokens are kept by their keyed hash only, never in clear.
CREATE TABLE refresh_tokens (
    hash         text COLLATE "C" PRIMARY KEY,
    family_id    text COLLATE "C" NOT NULL,
    client_id    text COLLATE "C" NOT NULL,
    user_id      text COLLATE "C",
    scopes       text[],
    auth_code_id text COLLATE "C",
    issued_at    timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    rotated_at   timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT fk_refresh_tokens_oauth_clients FOREIGN KEY (client_id)
        REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    CONSTRAINT fk_refresh_tokens_users FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT chk_refresh_tokens_hash CHECK (hash <> ''),
    CONSTRAINT chk_refresh_tokens_family_id CHECK (family_id <> ''),
    CONSTRAINT chk_refresh_tokens_expires_at CHECK (expires_at > issued_at)
);
CREATE INDEX idx_refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX idx_refresh_tokens_client_id ON refresh_tokens (client_id);
CREATE INDEX idx_refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX idx_refresh_tokens_auth_code_id ON refresh_tokens (auth_code_id) WHERE auth_code_id IS NOT NULL;
CREATE INDEX idx_refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Authorization codes are kept by their hash only.
CREATE TABLE authorization_codes (
    hash                  text COLLATE "C" PRIMARY KEY,
    client_id             text COLLATE "C" NOT NULL,
    user_id               text COLLATE "C" NOT NULL,
    redirect_uri          text        NOT NULL,
    scopes                text[],
    code_challenge        text        NOT NULL DEFAULT '',
    code_challenge_method text        NOT NULL DEFAULT '',
    issued_at             timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL,
    redeemed_at           timestamptz,
    CONSTRAINT fk_authorization_codes_oauth_clients FOREIGN KEY (client_id)
        REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    CONSTRAINT fk_authorization_codes_users FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT chk_authorization_codes_hash CHECK (hash <> ''),
    CONSTRAINT chk_authorization_codes_pkce CHECK (
        (code_challenge = '' AND code_challenge_method = '')
        OR (code_challenge <> '' AND code_challenge_method = 'S256')),
    CONSTRAINT chk_authorization_codes_expires_at CHECK (expires_at > issued_at)
);
CREATE INDEX idx_authorization_codes_client_id ON authorization_codes (client_id);
CREATE INDEX idx_authorization_codes_user_id ON authorization_codes (user_id);
CREATE INDEX idx_authorization_codes_expires_at ON authorization_codes (expires_at);

-- Password-reset tokens are kept by their hash only.
CREATE TABLE password_reset_tokens (
    hash       text COLLATE "C" PRIMARY KEY,
    user_id    text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT fk_password_reset_tokens_users FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT chk_password_reset_tokens_hash CHECK (hash <> ''),
    CONSTRAINT chk_password_reset_tokens_expires_at CHECK (expires_at > created_at)
);
CREATE INDEX idx_password_reset_tokens_user_id ON password_reset_tokens (user_id);
CREATE INDEX idx_password_reset_tokens_expires_at ON password_reset_tokens (expires_at);

-- +goose Down
DROP TABLE password_reset_tokens;
DROP TABLE authorization_codes;
DROP TABLE refresh_tokens;
DROP TABLE access_tokens;
