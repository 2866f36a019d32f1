// Package jwt signs and verifies RFC 9068 JWT access tokens with
// golang-jwt. HS256 is the default; other algorithms are further signers
// behind the same port.
package jwt
