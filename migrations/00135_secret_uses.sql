-- +goose Up
-- The latest moment an instance said it signs or hashes with a secret
-- (JWT_SECRET, JWT_REFRESH_SECRET), by the secret's key id (a keyed digest,
-- never the secret). Instances mark their current secrets at start and every
-- half minute; once a secret is moved to *_PREVIOUS it verifies only what is
-- dated before its last use here, and `identityd keys status` tells from it
-- what may still depend on the previous secret.
CREATE TABLE secret_uses (
    kid          text COLLATE "C" PRIMARY KEY,
    last_used_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE secret_uses;
