// Package pgtest gives tests a PostgreSQL schema of their own: NewSchema
// creates a fresh, migrated schema in the database named by
// TEST_DATABASE_URL and returns a connection URL whose search_path is that
// schema; the schema is dropped when the test ends. Without
// TEST_DATABASE_URL the test is skipped, unless REQUIRE_SERVICES=1, in which
// case it fails.
package pgtest
