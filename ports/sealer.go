package ports

// Sealer encrypts small secrets kept in a store (TOTP secrets) under a key
// derived from JWT_REFRESH_SECRET, as the generated signing keys are
// (AES-256-GCM), so a copy of the database alone does not give them away.
type Sealer interface {
	// Seal encrypts plaintext bound to additionalData (e.g. the owner's
	// id, so a sealed value cannot be moved to another row).
	Seal(plaintext, additionalData []byte) ([]byte, error)
	// Open decrypts what Seal made under the current or the previous key
	// with the same additionalData; an error for anything else.
	Open(sealed, additionalData []byte) ([]byte, error)
}
