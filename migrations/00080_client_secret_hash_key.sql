-- +goose Up
-- The key a client secret's hash was made with (a keyed digest naming a key
-- derived from JWT_REFRESH_SECRET, never the key). While
-- JWT_REFRESH_SECRET_PREVIOUS is set, a client authenticating with a secret
-- hashed under the previous key gets it hashed again under the current one;
-- the clients not yet moved are those whose secret_hash_key is another, or
-- '' (hashed before this column existed: recorded at the next
-- authentication). `identityd keys status` counts them.
ALTER TABLE oauth_clients ADD COLUMN secret_hash_key text COLLATE "C" NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE oauth_clients DROP COLUMN secret_hash_key;
