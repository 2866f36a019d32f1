// Package hashing holds the two hashers: bcrypt for people's passwords and
// HMAC-SHA-256 for high-entropy machine secrets.
package hashing
