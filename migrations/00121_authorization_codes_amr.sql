-- +goose Up
-- The methods of the sign-in behind a code (RFC 8176 amr: pwd, fed, ...),
-- repeated in the ID token it is redeemed for. NULL: a password. IF NOT
-- EXISTS: the second-factor migrations may have added the same column.
ALTER TABLE authorization_codes ADD COLUMN IF NOT EXISTS amr text[];

-- +goose Down
-- The column stays: another migration may rely on it, and NULL in it
-- means what no column means.
SELECT 1;
