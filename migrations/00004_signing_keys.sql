-- +goose Up
-- Private keys the server generated for RS256, ES256 or EdDSA signing when
-- no JWT_PRIVATE_KEY_FILE is given: one per algorithm and key-encryption
-- key, shared by every instance. key_sealed is the PKCS#8 PEM sealed with
-- AES-256-GCM under a key derived from JWT_REFRESH_SECRET (nonce, then
-- ciphertext and tag; alg and kek_id as additional data). kek_id names
-- that key without revealing it: after a change of secret an instance finds
-- no key of its own and makes one, instead of failing to open the old.
CREATE TABLE signing_keys (
    alg        text COLLATE "C" NOT NULL,
    kek_id     text COLLATE "C" NOT NULL,
    key_sealed bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (alg, kek_id),
    CONSTRAINT chk_signing_keys_alg CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
    CONSTRAINT chk_signing_keys_kek_id CHECK (kek_id <> ''),
    -- 12-byte nonce and 16-byte tag around at least one byte.
    CONSTRAINT chk_signing_keys_key_sealed CHECK (octet_length(key_sealed) > 28)
);

-- +goose Down
DROP TABLE signing_keys;
