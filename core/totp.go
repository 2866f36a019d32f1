package core

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 6238 TOTP as authenticator apps implement it is HMAC-SHA-1.
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters identityd uses (RFC 6238 §4, §5.2): HMAC-SHA-1, six
// digits, a time step of 30 seconds counted from the Unix epoch, and one
// step of clock skew either way. These are what every authenticator app
// reads from an otpauth URI without further parameters.
const (
	TOTPDigits = 6
	TOTPPeriod = 30 * time.Second
	TOTPSkew   = 1
	// TOTPSecretBytes is the length of a generated secret: 160 bits, the
	// HMAC-SHA-1 output size RFC 4226 §4 recommends.
	TOTPSecretBytes = 20
)

// TOTPStep is RFC 6238 §4.2's T: the number of whole TOTPPeriod steps
// between the Unix epoch and t.
func TOTPStep(t time.Time) int64 {
	return t.Unix() / int64(TOTPPeriod/time.Second)
}

// HOTP is RFC 4226 §5.3: the digits-long decimal code of HMAC-SHA-1 over
// counter under secret, with dynamic truncation.
func HOTP(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for i := 0; i < digits; i++ {
		mod *= 10
	}
	s := make([]byte, digits)
	v := bin % mod
	for i := digits - 1; i >= 0; i-- {
		s[i] = byte('0' + v%10)
		v /= 10
	}
	return string(s)
}

// TOTPAt is the TOTPDigits code of secret for time step step (RFC 6238
// §4.2: TOTP = HOTP(K, T)).
func TOTPAt(secret []byte, step int64) string {
	if step < 0 {
		return ""
	}
	return HOTP(secret, uint64(step), TOTPDigits)
}

// VerifyTOTP checks code against secret at now, allowing TOTPSkew steps
// of clock difference either way (RFC 6238 §5.2), and refusing every step
// at or before lastStep, the step of the last code accepted (§5.2: "the
// verifier MUST NOT accept the second attempt of the OTP after the
// successful validation has been issued for the first OTP"). It returns
// the step the code matched, to be stored as the new lastStep. Codes are
// compared in constant time.
func VerifyTOTP(secret []byte, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != TOTPDigits || len(secret) == 0 {
		return 0, false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	now0 := TOTPStep(now)
	matched, ok := int64(0), false
	for step := now0 - TOTPSkew; step <= now0+TOTPSkew; step++ {
		if step <= lastStep {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(TOTPAt(secret, step)), []byte(code)) == 1 && !ok {
			matched, ok = step, true
		}
	}
	return matched, ok
}

// totpEncoding is base32 without padding (RFC 4648 §6), the form of the
// secret in otpauth URIs.
var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// EncodeTOTPSecret is the base32 form of secret shown to people and put
// in the otpauth URI.
func EncodeTOTPSecret(secret []byte) string { return totpEncoding.EncodeToString(secret) }

// TOTPURI is the otpauth URI of Google Authenticator's Key Uri Format
// (the de facto standard every authenticator app reads): label
// "issuer:account", with the secret and the RFC 6238 parameters.
func TOTPURI(issuer, account string, secret []byte) string {
	q := url.Values{}
	q.Set("secret", EncodeTOTPSecret(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	label := url.PathEscape(issuer + ":" + account)
	return "otpauth://totp/" + label + "?" + q.Encode()
}
