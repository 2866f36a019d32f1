// Package core is the domain of identityd: users, clients, scopes, access and
// refresh tokens, authorization codes, and the rules among them.
//
// It performs no I/O and imports only the standard library. Every function
// returns a typed error (see errors.go) that the transport edge maps to a
// status code in one place.
package core
