package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/identityd/identityd/core"
)

// MaxBodyBytes bounds every request body (contract §4: 413 above 1 MiB).
const MaxBodyBytes = 1 << 20

// noStore marks a response that must not be cached: tokens, secrets, and
// the pages and errors of the OAuth endpoints (RFC 6749 §5.1).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var (
	errTooLarge       = newEdgeError(http.StatusRequestEntityTooLarge, "request_too_large", "the request body is larger than 1 MiB")
	errNotJSON        = newEdgeError(http.StatusUnsupportedMediaType, "unsupported_media_type", "the request body must be application/json")
	errMalformedJSON  = newEdgeError(http.StatusBadRequest, core.CodeInvalidRequest, "the request body is not valid JSON")
	errTrailingJSON   = newEdgeError(http.StatusBadRequest, core.CodeInvalidRequest, "the request body holds more than one JSON value")
	errNotObject      = newEdgeError(http.StatusBadRequest, core.CodeInvalidRequest, "the request body must be a JSON object")
	errMethodNotAllow = newEdgeError(http.StatusMethodNotAllowed, "method_not_allowed", "the method is not allowed on this resource")
	errNoRoute        = newEdgeError(http.StatusNotFound, "not_found", "no such endpoint")
)

func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && strings.EqualFold(mt, want)
}

// decodeJSON reads a JSON body into v: the content type must be JSON, the
// body at most MaxBodyBytes, every string UTF-8 text without NUL
// (checkJSONText), unknown fields are named in the error, and a field of
// the wrong type is named too.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if !hasMediaType(r, "application/json") {
		return errNotJSON
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return jsonError(err)
	}
	if err := checkJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return errTrailingJSON
	}
	return validateBody(v)
}

func jsonError(err error) error {
	var (
		mbe *http.MaxBytesError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.As(err, &ute) && ute.Field != "":
		return &core.ValidationError{Fields: map[string]string{ute.Field: "must be of type " + jsonType(ute.Type.Kind().String())}}
	case errors.As(err, &ute):
		return errNotObject
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &core.ValidationError{Fields: map[string]string{name: "is not a known field"}}
	case errors.Is(err, io.EOF):
		return newEdgeError(http.StatusBadRequest, core.CodeInvalidRequest, "the request body is empty")
	}
	return errMalformedJSON
}

func jsonType(kind string) string {
	switch kind {
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "bool":
		return "boolean"
	case "string":
		return "string"
	default:
		return "number"
	}
}
