-- +goose Up
-- The browsers (by a hash of their device cookie) and addresses from which
-- an account signed in, each with its own login back-off, so that guesses
-- sent from elsewhere cannot lock the owner out of them. The service keeps
-- at most a few per account, the most recent.
CREATE TABLE login_devices (
    user_id       text COLLATE "C" NOT NULL,
    device_key    text COLLATE "C" NOT NULL,
    failed_logins integer     NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    last_login_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, device_key),
    CONSTRAINT fk_login_devices_users FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT chk_login_devices_device_key CHECK (device_key <> '' AND char_length(device_key) <= 200),
    CONSTRAINT chk_login_devices_failed_logins CHECK (failed_logins >= 0)
);

-- +goose Down
DROP TABLE login_devices;
