// Package jwt signs and verifies RFC 9068 JWT access tokens with
// golang-jwt. HS256 (a shared secret, the default) and Asymmetric (RS256,
// ES256 or EdDSA under a private key whose public half is published as a
// JWKS) implement the same port; keys.go reads, makes and describes the
// private keys.
package jwt
