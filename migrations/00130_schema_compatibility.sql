-- +goose Up
-- Upgrades expand, then contract (README, "Upgrades"): a release's
-- migrations never break the previous release's binary. This row records
-- the oldest binary that can still serve this schema, as the newest
-- migration that binary knows: a binary that knows less refuses to start
-- and says what to do. Expanding migrations leave it alone; a contracting
-- one (dropping or renaming what an older binary reads) raises it to the
-- newest migration of the previous release, never further.
CREATE TABLE schema_compatibility (
    id boolean PRIMARY KEY DEFAULT true CONSTRAINT chk_schema_compatibility_id CHECK (id),
    oldest_binary_version bigint NOT NULL
);
INSERT INTO schema_compatibility (oldest_binary_version) VALUES (0);

-- +goose Down
DROP TABLE schema_compatibility;
