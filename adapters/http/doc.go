// Package http is the HTTP transport of identityd on gorilla/mux: the OAuth
// 2.0 endpoints (RFC 6749, 7009, 7662, 8414), the JSON management API, and
// the operational endpoints. It turns requests into service calls and every
// error into a response in exactly one place (writeError).
package http
