-- +goose Up
-- users.not_before: everything derived from the person before it (reset
-- links, authorization codes, approved device codes, refresh-token
-- families, browser sessions) is void (core.CredentialAlive). A password
-- change or reset moves it.
ALTER TABLE users ADD COLUMN not_before timestamptz;
-- device_codes.auth_time: when the person who approved signed in, kept
-- for the tokens' auth_time and for the cutoff.
ALTER TABLE device_codes ADD COLUMN auth_time timestamptz;

-- +goose Down
ALTER TABLE device_codes DROP COLUMN auth_time;
ALTER TABLE users DROP COLUMN not_before;
