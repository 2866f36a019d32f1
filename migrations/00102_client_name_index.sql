-- +goose Up
-- GET /api/clients?name= finds clients by their exact name.
CREATE INDEX idx_oauth_clients_name ON oauth_clients (name, client_id);

-- +goose Down
DROP INDEX idx_oauth_clients_name;
