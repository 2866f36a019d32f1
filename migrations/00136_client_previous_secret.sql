-- +goose Up
-- The secret a regenerate-secret with keep_previous_for replaced: its keyed
-- hash (never the secret), the key that made the hash, and when it stops
-- authenticating the client (at most 7 days after the regeneration).
ALTER TABLE oauth_clients
    ADD COLUMN previous_secret_hash text,
    ADD COLUMN previous_secret_hash_key text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN previous_secret_expires_at timestamptz;

-- +goose Down
ALTER TABLE oauth_clients
    DROP COLUMN previous_secret_hash,
    DROP COLUMN previous_secret_hash_key,
    DROP COLUMN previous_secret_expires_at;
