-- +goose Up
-- OpenID Connect: what a client registers for logout and ID tokens, what an
-- authorization code and a refresh token remember of the sign-in (nonce,
-- auth_time), and when a person last signed out everywhere (browser
-- sessions opened before it are over).
ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris text[];
ALTER TABLE oauth_clients ADD COLUMN id_token_signed_response_alg text NOT NULL DEFAULT '';
ALTER TABLE oauth_clients ADD CONSTRAINT chk_oauth_clients_id_token_signed_response_alg
    CHECK (id_token_signed_response_alg IN ('', 'RS256', 'ES256', 'EdDSA'));
ALTER TABLE authorization_codes ADD COLUMN nonce text NOT NULL DEFAULT '';
ALTER TABLE authorization_codes ADD COLUMN auth_time timestamptz;
ALTER TABLE refresh_tokens ADD COLUMN auth_time timestamptz;
ALTER TABLE users ADD COLUMN sessions_ended_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN sessions_ended_at;
ALTER TABLE refresh_tokens DROP COLUMN auth_time;
ALTER TABLE authorization_codes DROP COLUMN auth_time;
ALTER TABLE authorization_codes DROP COLUMN nonce;
ALTER TABLE oauth_clients DROP CONSTRAINT chk_oauth_clients_id_token_signed_response_alg;
ALTER TABLE oauth_clients DROP COLUMN id_token_signed_response_alg;
ALTER TABLE oauth_clients DROP COLUMN post_logout_redirect_uris;
