-- +goose Up
-- People administration: an administrator disables a person (a state, not
-- a lock: no time ends it), and the list shows when each last signed in.
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN last_login_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN last_login_at;
ALTER TABLE users DROP COLUMN disabled;
