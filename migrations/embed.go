package migrations

import "embed"

// FS holds the SQL migrations, named NNNNN_description.sql, each with a
// goose Up and Down section.
//
//go:embed *.sql
var FS embed.FS
