package core

import (
	"errors"
	"strings"
	"time"
)

// Factors is what a person has besides the password: a TOTP secret
// (RFC 6238) and recovery codes. The secret is stored sealed
// (ports.Sealer); recovery codes only as keyed hashes.
type Factors struct {
	UserID string
	// TOTPSealed is the sealed TOTP secret; empty when none is enrolled
	// or pending.
	TOTPSealed []byte
	// TOTPConfirmedAt is when the first code confirmed the enrolment;
	// zero while it is pending, and then the secret does not sign anyone
	// in.
	TOTPConfirmedAt time.Time
	// TOTPLastStep is the time step (TOTPStep) of the last code
	// accepted; codes of that step and earlier are refused (replay).
	TOTPLastStep int64
	// RecoveryCodes are the keyed hashes of the unused recovery codes.
	RecoveryCodes []string
	UpdatedAt     time.Time
}

// HasTOTP reports whether a confirmed TOTP secret signs the person in.
func (f Factors) HasTOTP() bool { return len(f.TOTPSealed) > 0 && !f.TOTPConfirmedAt.IsZero() }

// Empty reports whether f holds nothing worth storing.
func (f Factors) Empty() bool { return len(f.TOTPSealed) == 0 && len(f.RecoveryCodes) == 0 }

// RecoveryCodeCount is how many recovery codes a person is given.
const RecoveryCodeCount = 10

// NormalizeRecoveryCode is the form in which a recovery code is hashed:
// lower case, without the dashes and spaces people type.
func NormalizeRecoveryCode(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("-", "", " ", "").Replace(s)
}

// Second-factor errors. The HTTP edge maps them in its one error table.
var (
	// ErrMFARequired is answered with an MFAChallenge: the password was
	// right and a second factor must follow.
	ErrMFARequired = errors.New("mfa_required")
	// ErrMFAEnrollmentRequired means the person holds a role of
	// MFA_REQUIRED_ROLES and has no second factor: nothing is issued
	// until they enrol.
	ErrMFAEnrollmentRequired = errors.New("mfa_enrollment_required")
	// ErrInvalidMFACode means a second-factor code was wrong, already
	// used, or came with an expired or forged mfa_token.
	ErrInvalidMFACode = errors.New("invalid second-factor code")
)

// MFAChallenge is the answer to a right password of a person with a
// second factor: the token that lets the second step name the person.
// With Enrol set the person must enrol a second factor first
// (ErrMFAEnrollmentRequired) and Token lets the browser's enrolment page
// go on with the sign-in.
type MFAChallenge struct {
	Token string
	Enrol bool
}

// Error implements error.
func (c *MFAChallenge) Error() string {
	if c.Enrol {
		return ErrMFAEnrollmentRequired.Error()
	}
	return ErrMFARequired.Error()
}

// Is makes errors.Is(err, ErrMFARequired) (or ErrMFAEnrollmentRequired
// with Enrol) hold.
func (c *MFAChallenge) Is(target error) bool {
	if c.Enrol {
		return target == ErrMFAEnrollmentRequired
	}
	return target == ErrMFARequired
}

// Authentication method references (RFC 8176 §2) and the
// authentication context classes identityd names (OpenID Connect Core
// §2, acr).
const (
	AMROTP = "otp"
	AMRHWK = "hwk"
	// AMRUser is user presence ("user" in RFC 8176: the person was
	// verified by the authenticator, here WebAuthn user verification).
	AMRUser = "user"
	AMRMFA  = "mfa"
	// AMRKBA is knowledge-based authentication: a recovery code.
	AMRKBA = "kba"

	ACRPassword = "urn:identityd:acr:pwd"
	ACRMFA      = "urn:identityd:acr:mfa"
)

// ACRValuesSupported is discovery's acr_values_supported.
var ACRValuesSupported = []string{ACRPassword, ACRMFA}

// ACR is the acr of a sign-in with the methods amr: ACRMFA when it took
// two factors (amr holds "mfa"), else ACRPassword.
func ACR(amr []string) string {
	if contains(amr, AMRMFA) {
		return ACRMFA
	}
	return ACRPassword
}

// AMRWithSecondFactor is the amr of a password sign-in completed by a
// TOTP code (method "otp") or a recovery code ("kba").
func AMRWithSecondFactor(method string) []string {
	return []string{AMRPassword, method, AMRMFA}
}

// NeedsMFA reports whether a person with roles must have a second factor
// under required (MFA_REQUIRED_ROLES).
func NeedsMFA(roles, required []string) bool {
	for _, r := range roles {
		if contains(required, r) {
			return true
		}
	}
	return false
}
