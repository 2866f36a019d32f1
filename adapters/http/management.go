package http

import (
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
)

// listPage is the contract's paginated list shape.
type listPage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func newListPage[T any](items []T, next string) listPage[T] {
	p := listPage[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if next != "" {
		p.NextCursor = &next
	}
	return p
}

// pageParams reads ?limit=&cursor=.
func pageParams(r *http.Request) (int, string, error) {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, "", &core.ValidationError{Fields: map[string]string{"limit": "must be a whole number"}}
		}
		if n < 1 {
			return 0, "", &core.ValidationError{Fields: map[string]string{"limit": "must be between 1 and 200"}}
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}

func pathID(r *http.Request) string { return mux.Vars(r)["id"] }

// callerOf is who asks for a management change: the scopes of the access
// token the authenticate middleware accepted.
func callerOf(r *http.Request) core.Caller {
	t, _ := tokenFrom(r.Context())
	return core.Caller{Scopes: t.Scopes}
}
