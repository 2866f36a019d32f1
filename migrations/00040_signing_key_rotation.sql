-- +goose Up
-- Signing keys rotate: a table row is one key, no longer one per algorithm.
-- At most one key per algorithm and key-encryption key is active
-- (retired_at IS NULL); a retired key stays published until the tokens it
-- signed have expired. Retiring needs no secret, so `identityd keys rotate`
-- runs with DATABASE_URL alone; every instance then makes or finds the new
-- active key.
ALTER TABLE signing_keys ADD COLUMN id text COLLATE "C";
UPDATE signing_keys SET id = gen_random_uuid()::text;
ALTER TABLE signing_keys ALTER COLUMN id SET NOT NULL;
ALTER TABLE signing_keys ADD COLUMN retired_at timestamptz;
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_pkey;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_pkey PRIMARY KEY (id);
ALTER TABLE signing_keys ADD CONSTRAINT chk_signing_keys_id CHECK (id <> '');
ALTER TABLE signing_keys ADD CONSTRAINT chk_signing_keys_retired_at CHECK (retired_at IS NULL OR retired_at >= created_at);
CREATE UNIQUE INDEX idx_signing_keys_alg_kek_id ON signing_keys (alg, kek_id) WHERE retired_at IS NULL;
CREATE INDEX idx_signing_keys_retired_at ON signing_keys (retired_at);

-- +goose Down
DELETE FROM signing_keys WHERE retired_at IS NOT NULL;
DROP INDEX idx_signing_keys_retired_at;
DROP INDEX idx_signing_keys_alg_kek_id;
ALTER TABLE signing_keys DROP CONSTRAINT chk_signing_keys_retired_at;
ALTER TABLE signing_keys DROP CONSTRAINT chk_signing_keys_id;
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_pkey;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_pkey PRIMARY KEY (alg, kek_id);
ALTER TABLE signing_keys DROP COLUMN retired_at;
ALTER TABLE signing_keys DROP COLUMN id;
