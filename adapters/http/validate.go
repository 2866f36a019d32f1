package http

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/identityd/identityd/core"
)

// validator is a JSON request body that checks its own fields. decodeJSON
// calls it after decoding, so every JSON body goes through one path:
// content type, size, syntax, unknown and mistyped fields, then the body's
// rules, with one message per invalid field in the error's fields.
//
// The rules are the shape of the input (presence, length, format); they
// reuse the core's checks so a message reads the same wherever it comes
// from. Rules that need storage (does the scope exist, is the name taken)
// stay in the services.
type validator interface {
	validate(c *checks)
}

// checks collects field messages; the first message for a field wins.
type checks struct {
	core.ValidationError
}

// required records "is required" when a field is absent or empty and
// reports whether it is there.
func (c *checks) required(field string, present bool) bool {
	if !present {
		c.Add(field, "is required")
	}
	return present
}

// length checks a string's length in characters.
func (c *checks) length(field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < min:
		c.Add(field, "must be at least "+strconv.Itoa(min)+" characters")
	case n > max:
		c.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
	}
}

// merge adds the fields of a core validation error; other errors are
// ignored, since the caller's service reports them.
func (c *checks) merge(err error) {
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		for k, v := range ve.Fields {
			c.Add(k, v)
		}
	}
}

// validateBody runs v's rules if it has any.
func validateBody(v any) error {
	val, ok := v.(validator)
	if !ok {
		return nil
	}
	var c checks
	val.validate(&c)
	if err := c.Err(); err != nil {
		return &c.ValidationError
	}
	return nil
}

func (in *scopeInput) validate(c *checks) {
	if c.required("name", in.Name != nil && *in.Name != "") {
		c.length("name", *in.Name, 1, 128)
	}
	name := "-"
	if in.Name != nil && *in.Name != "" {
		name = *in.Name
	}
	c.merge(core.ValidateScope(core.Scope{Name: name, Description: in.Description}))
}

// anyGrant defers the question of which grant types are installed to the
// client service.
func anyGrant(string) bool { return true }

func (in *clientInput) validate(c *checks) {
	if c.required("name", in.Name != "") {
		c.length("name", in.Name, 1, 200)
	}
	if len(in.GrantTypes) == 0 {
		c.Add("grant_types", "is required: name at least one grant type")
	}
	for _, g := range in.GrantTypes {
		if g == "" || len(g) > 128 {
			c.Add("grant_types", "must be grant type names")
		}
	}
	// The server chooses the id; a placeholder keeps client_id out of the
	// answer.
	c.merge(core.ValidateClient(core.Client{
		ID: "-", Name: in.Name, RedirectURIs: in.RedirectURIs, GrantTypes: in.GrantTypes, Scopes: in.Scopes,
		Public: in.Public != nil && *in.Public, FirstParty: in.FirstParty,
	}, anyGrant))
}
