package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/identityd/identityd/core"
)

// badTextMessage is the field message for input that is not text.
const badTextMessage = "must be UTF-8 text without NUL bytes"

// isText reports whether s may enter the server from outside: valid UTF-8
// without NUL. It is the one check every input goes through before any
// handler, service or store sees it: the path, the query, Basic
// credentials (cleanInput), form bodies (parseForm) and JSON strings
// (decodeJSON). PostgreSQL refuses both in text columns, and neither
// belongs in an e-mail address, a name, an id or a secret.
func isText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// fieldName is a name for a field in a message: the name itself when it is
// text, else a placeholder, so the message never echoes bad bytes.
func fieldName(name, placeholder string) string {
	if name == "" || !isText(name) || len(name) > 64 {
		return placeholder
	}
	return name
}

// checkValues adds a field message to v for every parameter of vals whose
// name or value is not text.
func checkValues(vals url.Values, v *core.ValidationError) {
	for k, vs := range vals {
		if !isText(k) {
			v.Add("parameter name", badTextMessage)
			continue
		}
		for _, s := range vs {
			if !isText(s) {
				v.Add(fieldName(k, "parameter"), badTextMessage)
				break
			}
		}
	}
}

// cleanInput refuses a request whose path, query or Basic credentials are
// not text: 400 naming the field, before routing, so nothing downstream
// stores or logs them.
func (h *Handler) cleanInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v core.ValidationError
		if !isText(r.URL.Path) {
			v.Add("path", badTextMessage)
		}
		if r.URL.RawQuery != "" {
			q, err := url.ParseQuery(r.URL.RawQuery)
			if err == nil {
				checkValues(q, &v)
			}
		}
		if user, pass, ok := r.BasicAuth(); ok {
			// RFC 6749 §2.3.1: both are form-encoded inside Basic.
			if id, err := url.QueryUnescape(user); !isText(user) || err == nil && !isText(id) {
				v.Add("client_id", badTextMessage)
			}
			if secret, err := url.QueryUnescape(pass); !isText(pass) || err == nil && !isText(secret) {
				v.Add("client_secret", badTextMessage)
			}
		}
		if err := v.Err(); err != nil {
			h.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkJSONText names the first JSON string (member name or value) of raw
// that is not text once decoded: invalid UTF-8, a \u0000 escape, or a lone
// surrogate escape, which encoding/json would silently turn into U+FFFD.
// Malformed JSON is left to the decoder to report.
func checkJSONText(raw []byte) error {
	if utf8.Valid(raw) && !bytes.Contains(raw, []byte(`\u`)) {
		return nil
	}
	type frame struct {
		object, wantKey bool
		key             string
	}
	var stack []frame
	field := func() string {
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].object && stack[i].key != "" {
				return stack[i].key
			}
		}
		return "body"
	}
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var prev int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		off := dec.InputOffset()
		seg := raw[prev:off]
		prev = off
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			n := len(stack)
			if n > 0 && stack[n-1].object && stack[n-1].wantKey {
				if !jsonStringIsText(t, seg) {
					return &core.ValidationError{Fields: map[string]string{"field name": badTextMessage}}
				}
				stack[n-1].key, stack[n-1].wantKey = fieldName(t, "field"), false
				continue
			}
			if !jsonStringIsText(t, seg) {
				return &core.ValidationError{Fields: map[string]string{field(): badTextMessage}}
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// jsonStringIsText tells whether a decoded JSON string s, whose source text
// is within seg, is text: no NUL, valid UTF-8 in the source, and no U+FFFD
// that the source did not spell out (encoding/json writes U+FFFD for
// invalid UTF-8 and lone surrogates).
func jsonStringIsText(s string, seg []byte) bool {
	if strings.IndexByte(s, 0) >= 0 || !utf8.Valid(seg) {
		return false
	}
	n := strings.Count(s, "\uFFFD")
	return n == 0 || n == bytes.Count(seg, []byte("\uFFFD"))+bytes.Count(bytes.ToLower(seg), []byte(`\ufffd`))
}
