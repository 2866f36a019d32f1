package service

import (
	"slices"

	"github.com/identityd/identityd/core"
)

// clientFields are the fields of a client an auditor sees, by their API
// names; never a secret or its hash.
func clientFields(c core.Client) map[string]any {
	return map[string]any{
		"name":                         c.Name,
		"redirect_uris":                nonNilList(c.RedirectURIs),
		"post_logout_redirect_uris":    nonNilList(c.PostLogoutRedirectURIs),
		"grant_types":                  nonNilList(c.GrantTypes),
		"scopes":                       nonNilList(c.Scopes),
		"public":                       c.Public,
		"first_party":                  c.FirstParty,
		"id_token_signed_response_alg": c.IDTokenAlg(),
	}
}

func nonNilList(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// clientCreatedDetails are the details of client.created: the client as
// created.
func clientCreatedDetails(c core.Client) map[string]any { return clientFields(c) }

// clientUpdatedDetails are the details of client.updated: "changed" lists
// the fields that changed (sorted), each with {"old", "new"}, and
// "redirect_uris" is always {"old", "new"}, so an auditor sees which
// addresses a client could send codes to before and after.
func clientUpdatedDetails(before, after core.Client) map[string]any {
	b, a := clientFields(before), clientFields(after)
	out := map[string]any{}
	changed := []string{}
	for name, old := range b {
		if !equalField(old, a[name]) {
			changed = append(changed, name)
			out[name] = map[string]any{"old": old, "new": a[name]}
		}
	}
	slices.Sort(changed)
	out["changed"] = changed
	out["redirect_uris"] = map[string]any{"old": b["redirect_uris"], "new": a["redirect_uris"]}
	return out
}

func equalField(x, y any) bool {
	xs, ok1 := x.([]string)
	ys, ok2 := y.([]string)
	if ok1 && ok2 {
		return slices.Equal(xs, ys)
	}
	return x == y
}
