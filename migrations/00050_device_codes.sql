-- +goose Up
-- Device authorizations of RFC 8628, kept by the keyed hashes of their
-- device code and user code only.
CREATE TABLE device_codes (
    hash             text COLLATE "C" PRIMARY KEY,
    user_code_hash   text COLLATE "C" NOT NULL,
    client_id        text COLLATE "C" NOT NULL,
    user_id          text COLLATE "C",
    scopes           text[],
    status           text        NOT NULL DEFAULT 'pending',
    interval_seconds integer     NOT NULL,
    issued_at        timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    last_polled_at   timestamptz,
    CONSTRAINT fk_device_codes_oauth_clients FOREIGN KEY (client_id)
        REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    CONSTRAINT fk_device_codes_users FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT chk_device_codes_hash CHECK (hash <> ''),
    CONSTRAINT chk_device_codes_status CHECK (status IN ('pending', 'approved', 'denied', 'redeemed')),
    CONSTRAINT chk_device_codes_interval CHECK (interval_seconds > 0),
    CONSTRAINT chk_device_codes_expires_at CHECK (expires_at > issued_at)
);
CREATE UNIQUE INDEX idx_device_codes_user_code_hash ON device_codes (user_code_hash);
CREATE INDEX idx_device_codes_client_id ON device_codes (client_id);
CREATE INDEX idx_device_codes_user_id ON device_codes (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX idx_device_codes_expires_at ON device_codes (expires_at);

-- +goose Down
DROP TABLE device_codes;
