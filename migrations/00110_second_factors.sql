-- +goose Up
-- Each person's second factors: a TOTP secret (RFC 6238), sealed with
-- AES-256-GCM under a key derived from JWT_REFRESH_SECRET, confirmed by a
-- first code; the time step of the last code accepted, so a code is
-- accepted once on every instance; and the keyed hashes of the unused
-- recovery codes.
CREATE TABLE user_factors (
    user_id              text COLLATE "C" PRIMARY KEY,
    totp_secret_sealed   bytea,
    totp_confirmed_at    timestamptz,
    totp_last_step       bigint      NOT NULL DEFAULT 0,
    recovery_code_hashes text[]      NOT NULL DEFAULT '{}',
    updated_at           timestamptz NOT NULL,
    CONSTRAINT fk_user_factors_users FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT chk_user_factors_recovery_code_hashes CHECK (cardinality(recovery_code_hashes) <= 20)
);

-- +goose Down
DROP TABLE user_factors;
