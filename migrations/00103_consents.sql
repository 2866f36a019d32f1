-- +goose Up
-- Remembered consent: which scopes a person approved for a client. A later
-- request for those scopes or fewer needs no consent page. Deleting the
-- person or the client forgets it.
CREATE TABLE consents (
    user_id    text COLLATE "C" NOT NULL,
    client_id  text COLLATE "C" NOT NULL,
    scopes     text[]      NOT NULL DEFAULT '{}',
    granted_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, client_id),
    CONSTRAINT fk_consents_users FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_consents_oauth_clients FOREIGN KEY (client_id)
        REFERENCES oauth_clients (client_id) ON DELETE CASCADE
);
CREATE INDEX idx_consents_client_id ON consents (client_id);

-- +goose Down
DROP TABLE consents;
