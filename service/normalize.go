package service

import (
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"

	"github.com/identityd/identityd/core"
)

// Passwords and e-mail addresses arrive in whichever Unicode form the
// person's device produced: a macOS keyboard sends "ä" as "a" followed by a
// combining diaeresis, most others as one code point. Both are normalised
// before they are hashed, compared or looked up (RFC 8265), so the same text
// typed on two devices is the same password and the same account.

// emailProfile is RFC 8265 §3.4's UsernameCaseMapped preparation without
// its Bidi Rule, which is written for a single label and would refuse a
// right-to-left local part next to a left-to-right domain: fullwidth and
// halfwidth forms are mapped to their plain forms, letters to lower case
// (contract §3: e-mail comparison ignores letter case), and the result to
// NFC, the form RFC 6532 §3.1 asks for. Code points outside the
// IdentifierClass (spaces, symbols, controls) are refused.
var emailProfile = precis.NewIdentifier(precis.FoldWidth, precis.LowerCase(), precis.Norm(norm.NFC))

// normalizeEmail returns the form in which an address is stored, looked up
// and compared, and false when the address holds a code point no address
// may hold. Surrounding white space is dropped first.
func normalizeEmail(s string) (string, bool) {
	trimmed := core.NormalizeEmail(s)
	if trimmed == "" {
		return "", true
	}
	out, err := emailProfile.String(trimmed)
	if err != nil {
		return "", false
	}
	return out, true
}

// emailLookups returns the forms under which an account with the typed
// address may be stored: the normalised form and, when it differs, the
// form addresses were stored in before normalisation (trimmed and lower
// case), so accounts registered earlier are still found.
func emailLookups(typed string) []string {
	legacy := core.NormalizeEmail(typed)
	email, ok := normalizeEmail(typed)
	switch {
	case !ok || email == "":
		return []string{legacy}
	case email == legacy:
		return []string{email}
	default:
		return []string{email, legacy}
	}
}

// normalizePassword prepares a new password with RFC 8265 §4's OpaqueString
// profile: non-ASCII spaces become U+0020, the result is NFC, and control
// and other disallowed code points are refused (false).
func normalizePassword(pw string) (string, bool) {
	if pw == "" {
		return "", true
	}
	out, err := precis.OpaqueString.String(pw)
	if err != nil {
		return "", false
	}
	return out, true
}

// passwordCandidates returns what a typed password is compared with a
// stored hash as: its OpaqueString form and, when that differs or the
// profile refuses the text, the text as typed, which is how passwords were
// hashed before normalisation. No stored hash is changed by a comparison.
func passwordCandidates(typed string) []string {
	pw, ok := normalizePassword(typed)
	switch {
	case !ok:
		return []string{typed}
	case pw == typed:
		return []string{pw}
	default:
		return []string{pw, typed}
	}
}
