-- +goose Up
-- GET /api/users?q= matches the e-mail address or the name anywhere in the
-- string: a trigram index (pg_trgm) answers LIKE '%...%' without reading
-- every row. pg_trgm ships with PostgreSQL and is a trusted extension (the
-- database owner may create it; on Azure it must be allow-listed in
-- azure.extensions). Where it cannot be created the search still works,
-- by a scan, and a warning says so.
-- +goose StatementBegin
DO $$
DECLARE
    nsp text;
BEGIN
    -- In public when it can be, so that schemas sharing the database
    -- (one per test, or per tenant) share one copy.
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'pg_trgm is not available (%): GET /api/users?q= will scan the users table', SQLERRM;
        END;
    END;
    SELECT n.nspname INTO nsp FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    IF nsp IS NOT NULL THEN
        EXECUTE format('CREATE INDEX idx_users_email_name_trgm ON users USING gin ((lower(email) || '' '' || lower(first_name) || '' '' || lower(last_name)) %I.gin_trgm_ops)', nsp);
    END IF;
END
$$;
-- +goose StatementEnd
CREATE INDEX idx_users_roles ON users USING gin (roles);

-- +goose Down
DROP INDEX IF EXISTS idx_users_roles;
DROP INDEX IF EXISTS idx_users_email_name_trgm;
