-- +goose Up
-- OpenID Connect Core §5.1 email_verified: false until the person follows
-- the link mailed to the address. Accounts made before stay unverified.
ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN email_verified;
