-- +goose Up
-- The methods of the sign-in (RFC 8176 amr: pwd, otp, mfa, ...) that a
-- refresh-token family came from, for the amr and acr of the ID tokens,
-- access tokens and introspection answers issued from it. NULL: a
-- password (rows from before second factors). Authorization codes carry
-- theirs from 00121.
ALTER TABLE refresh_tokens ADD COLUMN amr text[];

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN amr;
