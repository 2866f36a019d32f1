// Package migrations holds the numbered goose SQL migrations of the
// PostgreSQL schema, embedded in the binary so `identityd migrate` and the
// start-up auto-migration need no files on disk.
//
// Naming: tables in snake_case, indexes idx_{table}_{column}, foreign keys
// fk_{table}_{referenced_table}, an index on every foreign key. Every time is
// timestamptz. Identifiers are text with the "C" collation so that keyset
// pagination orders them byte by byte, as Go compares strings.
package migrations
