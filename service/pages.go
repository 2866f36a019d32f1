package service

import (
	"encoding/base64"

	"github.com/identityd/identityd/core"
)

// parsePage turns a limit and an opaque cursor into a repository page,
// asking for one item more than the limit to learn whether a next page
// exists.
func parsePage(limit int, cursor string) (core.Page, error) {
	var v core.ValidationError
	if limit == 0 {
		limit = core.DefaultPageLimit
	}
	if limit < 1 || limit > core.MaxPageLimit {
		v.Add("limit", "must be between 1 and 200")
	}
	after, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		v.Add("cursor", "is not a cursor this server returned")
	}
	if err := v.Err(); err != nil {
		return core.Page{}, err
	}
	return core.Page{After: string(after), Limit: limit + 1}, nil
}

// nextPage trims the extra item parsePage asked for and returns the cursor
// of the next page, or "".
func nextPage[T any](items []T, limit int, id func(T) string) ([]T, string) {
	if len(items) < limit {
		return items, ""
	}
	items = items[:limit-1]
	return items, base64.RawURLEncoding.EncodeToString([]byte(id(items[len(items)-1])))
}
