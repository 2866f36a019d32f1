-- +goose Up
-- The token an access token was exchanged from (RFC 8693 subject_token):
-- revoking that token revokes what was made from it. Expanding: an older
-- binary neither writes nor reads the column.
ALTER TABLE access_tokens ADD COLUMN source_jti text;
CREATE INDEX idx_access_tokens_source_jti ON access_tokens (source_jti) WHERE source_jti IS NOT NULL;

-- +goose Down
DROP INDEX IF EXISTS idx_access_tokens_source_jti;
ALTER TABLE access_tokens DROP COLUMN IF EXISTS source_jti;
