-- +goose Up
-- The audit log an auditor queries (GET /api/audit-events): who acted
-- (actor_type, actor_id), the person and the client concerned (user_id,
-- client_id) and the structured facts of the event (details, e.g. the old
-- and new redirect_uris of client.updated). type sorts byte-wise
-- (COLLATE "C") so a prefix such as 'client.' is an index range; a change
-- of collation between text types does not rewrite the table.
ALTER TABLE audit_events
    ADD COLUMN actor_type text NOT NULL DEFAULT '',
    ADD COLUMN user_id    text NOT NULL DEFAULT '',
    ADD COLUMN details    jsonb;
ALTER TABLE audit_events ALTER COLUMN type TYPE text COLLATE "C";

-- Events written before: the person is the subject of sign-in, reset and
-- verification events and the actor of the rest a person did; a client is
-- the subject of client.* events.
UPDATE audit_events SET
    user_id = CASE
        WHEN type IN ('login.succeeded', 'login.failed', 'password.reset', 'email.verified') THEN subject_id
        WHEN actor_id <> '' AND actor_id <> client_id AND actor_id <> 'bootstrap' AND type NOT LIKE 'scope.%' AND type NOT LIKE 'client.%' THEN actor_id
        ELSE '' END,
    client_id = CASE WHEN type LIKE 'client.%' THEN subject_id ELSE client_id END,
    actor_type = CASE
        WHEN actor_id = 'bootstrap' THEN 'system'
        WHEN actor_id <> '' AND actor_id = client_id THEN 'client'
        WHEN actor_id = '' AND type NOT IN ('login.failed', 'password.reset') THEN 'system'
        ELSE 'user' END;

-- +goose Down
ALTER TABLE audit_events ALTER COLUMN type TYPE text COLLATE "default";
ALTER TABLE audit_events DROP COLUMN details, DROP COLUMN user_id, DROP COLUMN actor_type;
