package core

import (
	"strings"
	"time"
)

// GrantDeviceCode is the grant_type of the Device Authorization Grant
// (RFC 8628 §3.4).
const GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// DeviceStatus is where a device authorization stands.
type DeviceStatus string

// The states of a device authorization: pending until the person decides,
// then approved or denied; approved becomes redeemed when the device
// receives its tokens, once.
const (
	DevicePending  DeviceStatus = "pending"
	DeviceApproved DeviceStatus = "approved"
	DeviceDenied   DeviceStatus = "denied"
	DeviceRedeemed DeviceStatus = "redeemed"
)

// DeviceCode is a device authorization (RFC 8628 §3.2): the device code
// and the user code are kept only as keyed hashes.
type DeviceCode struct {
	Hash         string
	UserCodeHash string
	ClientID     string
	Scopes       []string
	IssuedAt     time.Time
	ExpiresAt    time.Time
	// Interval is the minimum time between two polls (§3.5); slow_down
	// raises it by 5 seconds.
	Interval     time.Duration
	LastPolledAt time.Time
	Status       DeviceStatus
	// UserID is the person who approved or denied; AuthTime is when they
	// signed in for it: the tokens' auth_time, and the time the person's
	// cutoff is applied to (CredentialAlive).
	UserID   string
	AuthTime time.Time
}

// UserCodeAlphabet is the alphabet of user codes: upper-case consonants
// without vowels, so no word is spelled, and none of the letters easily
// confused (RFC 8628 §6.1).
const UserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// UserCodeLength is the number of characters of a user code: 20^8 is
// about 2^34.6 codes (RFC 8628 §5.1).
const UserCodeLength = 8

// NormalizeUserCode turns what a person typed into the canonical form of
// a user code: upper case, without the dash, spaces or other separators
// (RFC 8628 §6.1: "the authorization server should ... ignore
// punctuation"). It returns "" when the rest is not a user code.
func NormalizeUserCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case strings.ContainsRune(UserCodeAlphabet, r):
			if b.Len() == UserCodeLength {
				return ""
			}
			b.WriteRune(r)
		case r == '-' || r == ' ' || r == '\t':
		default:
			return ""
		}
	}
	if b.Len() != UserCodeLength {
		return ""
	}
	return b.String()
}

// FormatUserCode shows a canonical user code as two groups of four,
// "BCDF-GHJK".
func FormatUserCode(code string) string {
	if len(code) != UserCodeLength {
		return code
	}
	return code[:4] + "-" + code[4:]
}
