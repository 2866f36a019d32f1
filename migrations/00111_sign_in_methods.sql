-- +goose Up
-- The methods of the sign-in (RFC 8176 amr: pwd, otp, mfa, ...) that an
-- authorization code and a refresh-token family came from, for the amr
-- and acr of the ID tokens and introspection answers issued from them.
-- NULL: a password (rows from before second factors).
ALTER TABLE authorization_codes ADD COLUMN amr text[];
ALTER TABLE refresh_tokens ADD COLUMN amr text[];

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN amr;
ALTER TABLE authorization_codes DROP COLUMN amr;
