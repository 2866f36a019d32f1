package core

import (
	"net/url"
	"sort"
)

// OAuthParams applies RFC 6749's rules for request parameters, which hold
// at every endpoint (§3.1, §3.2): a parameter sent without a value is
// treated as if it were omitted, and a parameter must not be included more
// than once. It returns the parameters with the empty values dropped, each
// name keeping its values, and the names that still appear more than once,
// sorted. v is not changed.
//
// "a=&a=x" is therefore a=x: the empty occurrence is an omission, not a
// second value.
func OAuthParams(v url.Values) (params url.Values, repeated []string) {
	params = make(url.Values, len(v))
	for name, vals := range v {
		kept := make([]string, 0, len(vals))
		for _, s := range vals {
			if s != "" {
				kept = append(kept, s)
			}
		}
		switch len(kept) {
		case 0:
		case 1:
			params[name] = kept
		default:
			params[name] = kept
			repeated = append(repeated, name)
		}
	}
	sort.Strings(repeated)
	return params, repeated
}

// ErrRepeatedParam is the invalid_request answer to a parameter included
// more than once (RFC 6749 §3.1, §3.2), naming it.
func ErrRepeatedParam(name string) *OAuthError {
	return NewOAuthError(CodeInvalidRequest, "the parameter "+truncateName(name)+" is included more than once (RFC 6749 §3.1)")
}

// truncateName keeps a client-chosen parameter name short enough to echo.
func truncateName(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max]
	}
	return s
}
