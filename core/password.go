package core

import (
	_ "embed"
	"strings"
)

// Password length limits in bytes. bcrypt reads no further than 72 bytes,
// so a longer password would be silently truncated.
const (
	MinPasswordBytes = 8
	MaxPasswordBytes = 72
)

// commonPasswords is a short list of the passwords most often found in
// breach corpora, one per line, lower case.
//
//go:embed commonpasswords.txt
var commonPasswords string

// IsCommonPassword reports whether pw, compared without regard to letter
// case, is on the embedded list of the most common passwords.
func IsCommonPassword(pw string) bool {
	pw = strings.ToLower(pw)
	for line := range strings.Lines(commonPasswords) {
		if strings.TrimSpace(line) == pw {
			return true
		}
	}
	return false
}

// ValidatePassword reports a problem with a new password, or "". email,
// when given, is the account's normalised address, which the password must
// not equal.
func ValidatePassword(pw, email string) string {
	switch {
	case pw == "":
		return "is required"
	case len(pw) < MinPasswordBytes:
		return "must be at least 8 characters"
	case len(pw) > MaxPasswordBytes:
		return "must be at most 72 bytes (bcrypt reads no further)"
	case IsCommonPassword(pw):
		return "is one of the most commonly used passwords; choose another"
	case email != "" && NormalizeEmail(pw) == email:
		return "must not be the email address"
	}
	return ""
}
