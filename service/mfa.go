package service

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
)

// MFATokenTTL is how long the mfa_token of a right password lets the
// second step of a sign-in name the person.
const MFATokenTTL = 5 * time.Minute

// mfaToken purposes: the second step of a sign-in, or a sign-in that
// must enrol a second factor first (MFA_REQUIRED_ROLES).
const (
	mfaPurposeCode   = "code"
	mfaPurposeStepUp = "stepup"
	mfaPurposeEnrol  = "enrol"
	mfaTokenHashPart = "mfa-token"
)

// FactorSummary is the `mfa` field of a user: whether TOTP is on and how
// many passkeys the person has.
type FactorSummary struct {
	TOTP     bool `json:"totp"`
	Passkeys int  `json:"passkeys"`
}

// TOTPEnrolment is the answer to the first step of TOTP enrolment: the
// base32 secret and its otpauth URI, shown once.
type TOTPEnrolment struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
}

// factors returns the factors of userID; none is the zero Factors.
func (s *Accounts) factors(ctx context.Context, userID string) (core.Factors, error) {
	if s.d.Factors == nil {
		return core.Factors{UserID: userID}, nil
	}
	f, err := s.d.Factors.GetFactors(ctx, userID)
	if errors.Is(err, core.ErrNotFound) {
		return core.Factors{UserID: userID}, nil
	}
	return f, err
}

// Factors summarises the second factors of userID (the `mfa` field).
func (s *Accounts) Factors(ctx context.Context, userID string) (FactorSummary, error) {
	f, err := s.factors(ctx, userID)
	if err != nil {
		return FactorSummary{}, err
	}
	return FactorSummary{TOTP: f.HasTOTP()}, nil
}

// hasSecondFactor reports whether a sign-in of f needs a second step.
func hasSecondFactor(f core.Factors) bool { return f.HasTOTP() }

// mustEnrol reports whether u must enrol a second factor before anything
// is issued (MFA_REQUIRED_ROLES).
func (s *Accounts) mustEnrol(u core.User, f core.Factors) bool {
	return !hasSecondFactor(f) && core.NeedsMFA(u.Roles, s.cfg.MFARequiredRoles)
}

func totpAD(userID string) []byte { return []byte("totp\x00" + userID) }

// newTOTPSecret makes TOTPSecretBytes of secret from the random source.
func (s *Accounts) newTOTPSecret() []byte {
	sum := sha256.Sum256([]byte(s.d.Random.NewToken()))
	return sum[:core.TOTPSecretBytes]
}

// recoveryEncoding spells recovery codes in lower-case base32, which
// people read without confusing 0/O or 1/l.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCodes makes core.RecoveryCodeCount codes of 60 bits each,
// shown as xxxx-xxxx-xxxx, and their keyed hashes.
func (s *Accounts) newRecoveryCodes() (codes, hashes []string) {
	for i := 0; i < core.RecoveryCodeCount; i++ {
		sum := sha256.Sum256([]byte(s.d.Random.NewToken()))
		raw := recoveryEncoding.EncodeToString(sum[:])[:12]
		codes = append(codes, raw[:4]+"-"+raw[4:8]+"-"+raw[8:])
		hashes = append(hashes, s.d.Secrets.Hash("recovery\x00"+raw))
	}
	return codes, hashes
}

// errNoPendingTOTP is a confirmation without an enrolment started.
var errNoPendingTOTP = &core.ValidationError{Fields: map[string]string{"code": "no TOTP enrolment is pending; start one first"}}

// errBadCode is a wrong code in an account change.
var errBadCode = &core.ValidationError{Fields: map[string]string{"code": "is incorrect or was already used"}}

// StartTOTP begins TOTP enrolment (RFC 6238) for userID after checking
// the current password: a new secret is stored sealed, pending until a
// code confirms it, and returned this once with its otpauth URI. A
// person with TOTP on gets a core.ConflictError (remove it first).
func (s *Accounts) StartTOTP(ctx context.Context, userID, currentPassword string) (TOTPEnrolment, error) {
	if currentPassword == "" {
		return TOTPEnrolment{}, &core.ValidationError{Fields: map[string]string{"current_password": "is required"}}
	}
	u, err := s.d.Users.GetUser(ctx, userID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if err := s.checkCurrentPassword(ctx, u, currentPassword); err != nil {
		return TOTPEnrolment{}, err
	}
	return s.startTOTP(ctx, u)
}

func (s *Accounts) startTOTP(ctx context.Context, u core.User) (TOTPEnrolment, error) {
	secret := s.newTOTPSecret()
	sealed, err := s.d.Sealer.Seal(secret, totpAD(u.ID))
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("seal TOTP secret: %w", err)
	}
	_, err = s.d.Factors.UpdateFactors(ctx, u.ID, func(f core.Factors) (core.Factors, error) {
		if f.HasTOTP() {
			return f, &core.ConflictError{Fields: map[string]string{"totp": "is already on; remove it before enrolling again"}}
		}
		f.TOTPSealed, f.TOTPConfirmedAt, f.UpdatedAt = sealed, time.Time{}, s.d.Clock.Now()
		return f, nil
	})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: core.EncodeTOTPSecret(secret), URI: core.TOTPURI(s.cfg.TOTPIssuer, u.Email, secret)}, nil
}

// ConfirmTOTP turns the pending TOTP secret of userID on with a first
// code of it, and returns ten recovery codes, shown this once (only their
// keyed hashes are kept). Records mfa.enrolled and mails a notice.
func (s *Accounts) ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	if strings.TrimSpace(code) == "" {
		return nil, &core.ValidationError{Fields: map[string]string{"code": "is required"}}
	}
	codes, hashes := s.newRecoveryCodes()
	now := s.d.Clock.Now()
	_, err := s.d.Factors.UpdateFactors(ctx, userID, func(f core.Factors) (core.Factors, error) {
		if len(f.TOTPSealed) == 0 || f.HasTOTP() {
			return f, errNoPendingTOTP
		}
		secret, err := s.d.Sealer.Open(f.TOTPSealed, totpAD(userID))
		if err != nil {
			return f, err
		}
		step, ok := core.VerifyTOTP(secret, code, now, f.TOTPLastStep)
		if !ok {
			return f, errBadCode
		}
		f.TOTPConfirmedAt, f.TOTPLastStep, f.RecoveryCodes, f.UpdatedAt = now, step, hashes, now
		return f, nil
	})
	if err != nil {
		return nil, err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditMFAEnrolled, ActorType: core.AuditActorUser, ActorID: userID, SubjectID: userID, UserID: userID, Success: true, Detail: "totp"})
	s.notice(userID, "mfa-added", "A second factor was added to your account",
		"An authenticator app (TOTP) was added as a second factor to your account. From now on, signing in asks for a code from it.")
	return codes, nil
}

// DisableTOTP turns TOTP off for userID, given the current password and
// a current code (or a recovery code); the recovery codes go with it.
// Records mfa.removed and mails a notice.
func (s *Accounts) DisableTOTP(ctx context.Context, userID, currentPassword, code string) error {
	var v core.ValidationError
	if currentPassword == "" {
		v.Add("current_password", "is required")
	}
	if strings.TrimSpace(code) == "" {
		v.Add("code", "is required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	u, err := s.d.Users.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.checkCurrentPassword(ctx, u, currentPassword); err != nil {
		return err
	}
	now := s.d.Clock.Now()
	_, err = s.d.Factors.UpdateFactors(ctx, userID, func(f core.Factors) (core.Factors, error) {
		if !f.HasTOTP() {
			return f, &core.ValidationError{Fields: map[string]string{"code": "TOTP is not on"}}
		}
		if _, ok, err := s.spendCode(&f, code, now); err != nil || !ok {
			if err == nil {
				err = errBadCode
			}
			return f, err
		}
		f.TOTPSealed, f.TOTPConfirmedAt, f.TOTPLastStep, f.RecoveryCodes = nil, time.Time{}, 0, nil
		return f, nil
	})
	if err != nil {
		return err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditMFARemoved, ActorType: core.AuditActorUser, ActorID: userID, SubjectID: userID, UserID: userID, Success: true, Detail: "totp"})
	s.notice(userID, "mfa-removed", "A second factor was removed from your account",
		"The authenticator app (TOTP) was removed from your account, with its recovery codes. Signing in no longer asks for a code.")
	return nil
}

// RegenerateRecoveryCodes replaces the recovery codes of userID, given
// the current password: ten new codes, shown this once; the old ones stop
// working. TOTP must be on.
func (s *Accounts) RegenerateRecoveryCodes(ctx context.Context, userID, currentPassword string) ([]string, error) {
	if currentPassword == "" {
		return nil, &core.ValidationError{Fields: map[string]string{"current_password": "is required"}}
	}
	u, err := s.d.Users.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := s.checkCurrentPassword(ctx, u, currentPassword); err != nil {
		return nil, err
	}
	codes, hashes := s.newRecoveryCodes()
	_, err = s.d.Factors.UpdateFactors(ctx, userID, func(f core.Factors) (core.Factors, error) {
		if !f.HasTOTP() {
			return f, &core.ValidationError{Fields: map[string]string{"totp": "is not on; recovery codes come with it"}}
		}
		f.RecoveryCodes, f.UpdatedAt = hashes, s.d.Clock.Now()
		return f, nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// RemoveFactors removes every second factor of userID (an administrator
// helping a person who lost their phone): the person enrols again.
// Records mfa.removed by the actor in ctx and mails the person a notice.
func (s *Accounts) RemoveFactors(ctx context.Context, userID string) error {
	if _, err := s.d.Users.GetUser(ctx, userID); err != nil {
		return err
	}
	_, err := s.d.Factors.UpdateFactors(ctx, userID, func(core.Factors) (core.Factors, error) { return core.Factors{}, nil })
	if err != nil {
		return err
	}
	s.d.Audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditMFARemoved, SubjectID: userID, UserID: userID, Detail: "every second factor removed by an administrator"})
	s.notice(userID, "mfa-removed", "Your second factors were removed",
		"An administrator removed every second factor (authenticator app, recovery codes) from your account. Set up a new one the next time you sign in.")
	return nil
}

// spendCode checks code against f, a TOTP code first (accepted once:
// f.TOTPLastStep moves to its step) and else a recovery code (removed
// from f), and reports the RFC 8176 method it proved: "otp" or "kba".
// Only f changes; the caller stores it.
func (s *Accounts) spendCode(f *core.Factors, code string, now time.Time) (string, bool, error) {
	code = strings.TrimSpace(code)
	if len(code) > 64 {
		return "", false, nil
	}
	if f.HasTOTP() {
		secret, err := s.d.Sealer.Open(f.TOTPSealed, totpAD(f.UserID))
		if err != nil {
			return "", false, err
		}
		if step, ok := core.VerifyTOTP(secret, code, now, f.TOTPLastStep); ok {
			f.TOTPLastStep, f.UpdatedAt = step, now
			return core.AMROTP, true, nil
		}
	}
	norm := core.NormalizeRecoveryCode(code)
	if len(norm) != 12 {
		return "", false, nil
	}
	for i, h := range f.RecoveryCodes {
		if equalHashed(s.d.Secrets, h, "recovery\x00"+norm) {
			f.RecoveryCodes = append(append([]string(nil), f.RecoveryCodes[:i]...), f.RecoveryCodes[i+1:]...)
			f.UpdatedAt = now
			return core.AMRKBA, true, nil
		}
	}
	return "", false, nil
}

// mfaToken is the mfa_token of a right password: the account, the
// purpose, the expiry and a tag of the password hash, under a keyed hash.
// It is stored nowhere; a password change voids it.
func (s *Accounts) mfaToken(u core.User, purpose string) string {
	exp := strconv.FormatInt(s.d.Clock.Now().Add(MFATokenTTL).Unix(), 36)
	payload := u.ID + "." + purpose + "." + exp
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.d.Secrets.Hash(mfaTokenHashPart+"\x00"+payload+"\x00"+u.PasswordHash)
}

// parseMFAToken returns the account of a valid, unexpired mfa_token of
// purpose; core.ErrInvalidMFACode otherwise.
func (s *Accounts) parseMFAToken(ctx context.Context, token, purpose string) (core.User, error) {
	u, _, err := s.parseMFATokenOf(ctx, token, purpose)
	return u, err
}

// parseMFATokenOf is parseMFAToken for any of purposes, and says which.
func (s *Accounts) parseMFATokenOf(ctx context.Context, token string, purposes ...string) (core.User, string, error) {
	u, purpose, err := s.readMFAToken(ctx, token)
	if err != nil {
		return core.User{}, "", err
	}
	for _, p := range purposes {
		if p == purpose {
			return u, purpose, nil
		}
	}
	return core.User{}, "", core.ErrInvalidMFACode
}

// readMFAToken checks an mfa_token and returns its account and purpose.
func (s *Accounts) readMFAToken(ctx context.Context, token string) (core.User, string, error) {
	enc, tag, ok := strings.Cut(token, ".")
	if !ok || len(token) > 512 {
		return core.User{}, "", core.ErrInvalidMFACode
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return core.User{}, "", core.ErrInvalidMFACode
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || !isUUID(parts[0]) {
		return core.User{}, "", core.ErrInvalidMFACode
	}
	exp, err := strconv.ParseInt(parts[2], 36, 64)
	if err != nil || !s.d.Clock.Now().Before(time.Unix(exp, 0)) {
		return core.User{}, "", core.ErrInvalidMFACode
	}
	u, err := s.d.Users.GetUser(ctx, parts[0])
	if errors.Is(err, core.ErrNotFound) {
		return core.User{}, "", core.ErrInvalidMFACode
	}
	if err != nil {
		return core.User{}, "", err
	}
	if u.Disabled || !equalHashed(s.d.Secrets, tag, mfaTokenHashPart+"\x00"+string(raw)+"\x00"+u.PasswordHash) {
		return core.User{}, "", core.ErrInvalidMFACode
	}
	return u, parts[1], nil
}

// SecondFactor completes a sign-in whose password was right (mfa_token)
// with a TOTP code, accepted once, or a recovery code. Each attempt
// counts in the failed-sign-in back-off of the account and the caller's
// device before the code is compared, exactly as a password guess does,
// and a success clears it: so the guesses at the 10^6 codes are bounded
// as password guesses are (SECURITY.md). It returns the person and the
// methods used (RFC 8176 amr). A wrong or spent code, a back-off, or a
// bad token are core.ErrInvalidMFACode, recorded as login.mfa_failed.
func (s *Accounts) SecondFactor(ctx context.Context, token, code, clientID string) (core.User, []string, error) {
	u, amr, _, err := s.secondFactor(ctx, token, code, clientID, mfaPurposeCode)
	return u, amr, err
}

// secondFactor is SecondFactor for mfa_tokens of purposes; it reports
// whether the token was a step-up's.
func (s *Accounts) secondFactor(ctx context.Context, token, code, clientID string, purposes ...string) (core.User, []string, bool, error) {
	u, purpose, err := s.parseMFATokenOf(ctx, token, purposes...)
	if err != nil {
		if errors.Is(err, core.ErrInvalidMFACode) {
			s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginMFAFailed, ActorType: core.AuditActorUser, ClientID: clientID, Detail: "invalid or expired mfa_token"})
		}
		return core.User{}, nil, false, err
	}
	method, err := s.checkSecondFactor(ctx, u, code, clientID)
	if err != nil {
		return core.User{}, nil, false, err
	}
	return u, core.AMRWithSecondFactor(method), purpose == mfaPurposeStepUp, nil
}

// checkSecondFactor counts one attempt and spends code for u.
func (s *Accounts) checkSecondFactor(ctx context.Context, u core.User, code, clientID string) (string, error) {
	now := s.d.Clock.Now()
	keys := deviceKeys(ctx)
	device, _, err := s.countAttempt(ctx, u, keys, now)
	if errors.Is(err, core.ErrLocked) {
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginMFAFailed, ActorType: core.AuditActorUser, SubjectID: u.ID, UserID: u.ID, ClientID: clientID, Detail: "in login back-off"})
		return "", core.ErrInvalidMFACode
	}
	if err != nil {
		return "", err
	}
	var method string
	_, err = s.d.Factors.UpdateFactors(ctx, u.ID, func(f core.Factors) (core.Factors, error) {
		m, ok, err := s.spendCode(&f, code, now)
		if err != nil {
			return f, err
		}
		if !ok {
			return f, core.ErrInvalidMFACode
		}
		method = m
		return f, nil
	})
	if errors.Is(err, core.ErrInvalidMFACode) {
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginMFAFailed, ActorType: core.AuditActorUser, SubjectID: u.ID, UserID: u.ID, ClientID: clientID, Detail: "wrong or used code"})
		return "", err
	}
	if err != nil {
		return "", err
	}
	if err := s.passwordSucceeded(ctx, u, keys, device, now); err != nil {
		return "", err
	}
	s.recordLogin(ctx, u.ID)
	if method == core.AMRKBA {
		s.notice(u.ID, "recovery-code", "A recovery code was used",
			"A recovery code was used to sign in to your account. Each code works once; make new ones on your account page if you are running out.")
	}
	return method, nil
}

// LoginMFA is the second step of POST /api/auth/login: a TOTP or
// recovery code with the mfa_token; it issues as Login does.
func (s *Accounts) LoginMFA(ctx context.Context, token, code string) (core.TokenResponse, error) {
	var v core.ValidationError
	if token == "" {
		v.Add("mfa_token", "is required")
	}
	if strings.TrimSpace(code) == "" {
		v.Add("code", "is required")
	}
	if err := v.Err(); err != nil {
		return core.TokenResponse{}, err
	}
	u, amr, err := s.SecondFactor(ctx, token, code, WebClientID)
	if err != nil {
		return core.TokenResponse{}, err
	}
	return s.issueLogin(ctx, u, amr)
}

// EnrolToken is the token of a sign-in that must enrol a second factor
// (MFA_REQUIRED_ROLES) before anything is issued, made after a right
// password; StartTOTPForSignIn and ConfirmTOTPForSignIn take it.
func (s *Accounts) EnrolToken(u core.User) string { return s.mfaToken(u, mfaPurposeEnrol) }

// StartTOTPForSignIn begins TOTP enrolment within a sign-in that must
// enrol (the token proves the password).
func (s *Accounts) StartTOTPForSignIn(ctx context.Context, token string) (TOTPEnrolment, error) {
	u, err := s.parseMFAToken(ctx, token, mfaPurposeEnrol)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return s.startTOTP(ctx, u)
}

// ConfirmTOTPForSignIn confirms the enrolment begun by
// StartTOTPForSignIn with a first code; the sign-in then counts as two
// factors.
func (s *Accounts) ConfirmTOTPForSignIn(ctx context.Context, token, code string) (core.User, []string, []string, error) {
	u, err := s.parseMFAToken(ctx, token, mfaPurposeEnrol)
	if err != nil {
		return core.User{}, nil, nil, err
	}
	codes, err := s.ConfirmTOTP(ctx, u.ID, code)
	if err != nil {
		return core.User{}, nil, nil, err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginSucceeded, ActorType: core.AuditActorUser, ActorID: u.ID, SubjectID: u.ID, UserID: u.ID, Success: true, Detail: "second factor enrolled at sign-in"})
	return u, core.AMRWithSecondFactor(core.AMROTP), codes, nil
}

// StepUpToken is an mfa_token for a person already signed in by password
// in this browser, to prove a second factor within the session (step-up,
// acr_values).
func (s *Accounts) StepUpToken(u core.User) string { return s.mfaToken(u, mfaPurposeStepUp) }

// notice mails userID a security notice off the request path, at most
// MailsPerAccount of each kind an hour.
func (s *Accounts) notice(userID, kind, subject, text string) {
	if s.d.Mail == nil {
		return
	}
	s.d.Mail.enqueue("security notice", func(ctx context.Context, send func(func(context.Context) error) error) {
		u, err := s.d.Users.GetUser(ctx, userID)
		if err != nil {
			return
		}
		if !s.allowMail(ctx, "notice-"+kind, userID) {
			s.d.Logger.LogAttrs(ctx, slog.LevelInfo, "security notice limit reached: nothing sent", slog.String("user_id", userID))
			return
		}
		if err := send(func(ctx context.Context) error { return s.d.Mailer.SendNotice(ctx, u.Email, subject, text) }); err != nil {
			s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "security notice not sent", slog.String("user_id", userID), slog.String("error", err.Error()))
		}
	})
}

// SignInSecondFactor is SecondFactor at a browser page of clientID; a
// success records login.succeeded.
//
// In the browser the token may also be a step-up's (StepUpToken), which
// it reports: that proves the second factor of a person already signed in
// by password, not the password.
func (s *Accounts) SignInSecondFactor(ctx context.Context, token, code, clientID, where string) (core.User, []string, bool, error) {
	u, amr, stepUp, err := s.secondFactor(ctx, token, code, clientID, mfaPurposeCode, mfaPurposeStepUp)
	if err != nil {
		return core.User{}, nil, false, err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginSucceeded, ActorType: core.AuditActorUser, ActorID: u.ID, SubjectID: u.ID, UserID: u.ID, ClientID: clientID, Success: true, Detail: where + " (second factor)"})
	return u, amr, stepUp, nil
}

// CheckMFAToken returns the person of a valid mfa_token of the second
// step, or core.ErrInvalidMFACode.
func (s *Accounts) CheckMFAToken(ctx context.Context, token string) (core.User, error) {
	u, _, err := s.parseMFATokenOf(ctx, token, mfaPurposeCode, mfaPurposeStepUp)
	return u, err
}

// HasSecondFactor reports whether userID has a second factor to prove
// (step-up).
func (s *Accounts) HasSecondFactor(ctx context.Context, userID string) (bool, error) {
	f, err := s.factors(ctx, userID)
	if err != nil {
		return false, err
	}
	return hasSecondFactor(f), nil
}
