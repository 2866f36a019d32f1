package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// WebClientID is the built-in first-party public client under which
// /api/auth/login issues tokens; its refresh tokens are refreshed at the
// token endpoint with client_id=identity-web.
const WebClientID = "identity-web"

// AccountConfig is what the account service needs from the configuration.
type AccountConfig struct {
	ResetTTL time.Duration
	Throttle core.LoginThrottle
	// MFARequiredRoles are MFA_REQUIRED_ROLES: holders of any must have a
	// second factor before anything is issued to them.
	MFARequiredRoles []string
	// TOTPIssuer names this server in authenticator apps (the otpauth
	// URI's issuer).
	TOTPIssuer string
	// ProtectedRoles are the roles besides admin whose giving or taking
	// away needs clients:admin (MFA_REQUIRED_ROLES).
	ProtectedRoles []string
	// ReuseInterval is REFRESH_TOKEN_REUSE_INTERVAL: a refresh token
	// rotated within it still keeps its family's session alive.
	ReuseInterval time.Duration
}

// AccountDeps are the ports Accounts uses.
type AccountDeps struct {
	Users     ports.UserRepository
	Devices   ports.LoginDeviceRepository
	Resets    ports.PasswordResetRepository
	Clients   ports.ClientRepository
	Passwords ports.PasswordHasher
	Secrets   ports.SecretHasher
	Mailer    ports.Mailer
	Random    ports.Random
	Clock     ports.Clock
	Tokens    *Tokens
	Audit     *Audit
	Logger    *slog.Logger
	// Mail runs the work behind every mail off the request path; Limits
	// counts the mails per account (MailsPerAccount).
	Mail   *MailQueue
	Limits ports.RateLimitStore
	// Factors keeps second factors, their secrets sealed by Sealer.
	Factors ports.FactorRepository
	Sealer  ports.Sealer
	// UserTokens lists a person's tokens and sessions.
	UserTokens ports.UserTokenLister
}

// MailsPerAccount is how many mails of one kind (reset, verification) an
// account is sent at most: a few an hour, so nobody can mail-bomb a
// person through the forms. Requests beyond it are answered as usual and
// send nothing.
var MailsPerAccount = core.RateLimit{Limit: 3, Window: time.Hour}

// VerifyEmailTTL is how long an e-mail verification link stays valid.
const VerifyEmailTTL = 48 * time.Hour

// Accounts registers people, checks their passwords and manages their
// accounts and sessions.
type Accounts struct {
	cfg AccountConfig
	d   AccountDeps
	// dummy is a bcrypt hash compared against when there is no real hash
	// to compare (unknown email, throttled account), so every failure
	// costs one bcrypt comparison.
	dummy string
}

// NewAccounts returns the account service.
func NewAccounts(cfg AccountConfig, d AccountDeps) (*Accounts, error) {
	dummy, err := d.Passwords.Hash(d.Random.NewToken())
	if err != nil {
		return nil, fmt.Errorf("dummy password hash: %w", err)
	}
	return &Accounts{cfg: cfg, d: d, dummy: dummy}, nil
}

// RegisterInput is a new account.
type RegisterInput struct {
	Email     string
	Password  string
	FirstName string
	LastName  string
	Roles     []string
	// EmailVerified marks the address verified at creation (an
	// administrator vouching for it).
	EmailVerified bool
}

// Register validates and creates an account. The email and the password
// are normalised (RFC 8265, see normalize.go); a taken email, in any letter
// case or Unicode form, is a core.ConflictError.
func (s *Accounts) Register(ctx context.Context, in RegisterInput) (core.User, error) {
	email, ok := normalizeEmail(in.Email)
	var v core.ValidationError
	if !ok {
		v.Add("email", "must be a valid email address")
	} else if msg := core.ValidateEmail(email); msg != "" {
		v.Add("email", msg)
	}
	password, msg := preparePassword(in.Password, email)
	if msg != "" {
		v.Add("password", msg)
	}
	if msg := core.ValidateName(in.FirstName); msg != "" {
		v.Add("first_name", msg)
	}
	if msg := core.ValidateName(in.LastName); msg != "" {
		v.Add("last_name", msg)
	}
	if err := v.Err(); err != nil {
		return core.User{}, err
	}
	if _, err := s.findUserByEmail(ctx, in.Email); err == nil {
		return core.User{}, &core.ConflictError{Fields: map[string]string{"email": "is already registered"}}
	} else if !errors.Is(err, core.ErrNotFound) {
		return core.User{}, err
	}
	hash, err := s.d.Passwords.Hash(password)
	if err != nil {
		return core.User{}, err
	}
	now := s.d.Clock.Now()
	u := core.User{
		ID: s.d.Random.NewID(), Email: email, PasswordHash: hash, FirstName: strings.TrimSpace(in.FirstName),
		LastName: strings.TrimSpace(in.LastName), Roles: in.Roles, CreatedAt: now, UpdatedAt: now, EmailVerified: in.EmailVerified,
	}
	if err := s.d.Users.CreateUser(ctx, u); err != nil {
		if errors.Is(err, core.ErrAlreadyExists) {
			return core.User{}, &core.ConflictError{Fields: map[string]string{"email": "is already registered"}}
		}
		return core.User{}, err
	}
	return u, nil
}

// Authenticate checks an email and password, both normalised as at
// registration. Unknown email, wrong password and a login back-off all
// return core.ErrInvalidCredentials after the same bcrypt comparisons, so
// they cannot be told apart by answer or by time. The caller's device
// (RequestInfo.Device and IP) decides which bucket of the throttle the
// attempt counts in; see checkPassword.
//
// A right password of a person with a second factor is a
// *core.MFAChallenge (errors.Is core.ErrMFARequired) carrying the
// mfa_token of the second step (SecondFactor); the attempt stays counted
// in the back-off until that step succeeds. A right password of a person
// who must have a second factor and has none (MFA_REQUIRED_ROLES) is a
// *core.MFAChallenge with Enrol (core.ErrMFAEnrollmentRequired).
func (s *Accounts) Authenticate(ctx context.Context, email, password string) (core.User, error) {
	u, err := s.findUserByEmail(ctx, email)
	if errors.Is(err, core.ErrNotFound) {
		s.compareDummy(password)
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginFailed, ActorType: core.AuditActorUser, Detail: "unknown email"})
		return core.User{}, core.ErrInvalidCredentials
	}
	if err != nil {
		return core.User{}, err
	}
	f, err := s.factors(ctx, u.ID)
	if err != nil {
		return core.User{}, err
	}
	second := hasSecondFactor(f)
	if err := s.checkPassword(ctx, u, password, !second); err != nil {
		return core.User{}, err
	}
	// Told only after the right password: a guesser learns nothing.
	if u.Disabled {
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginFailed, ActorType: core.AuditActorUser, SubjectID: u.ID, UserID: u.ID, Detail: "account disabled"})
		return core.User{}, core.ErrAccountDisabled
	}
	switch {
	case second:
		return u, &core.MFAChallenge{Token: s.mfaToken(u, mfaPurposeCode)}
	case s.mustEnrol(u, f):
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginFailed, ActorType: core.AuditActorUser, SubjectID: u.ID, UserID: u.ID, Detail: "right password; a second factor must be enrolled first (MFA_REQUIRED_ROLES)"})
		return u, &core.MFAChallenge{Token: s.mfaToken(u, mfaPurposeEnrol), Enrol: true}
	}
	s.recordLogin(ctx, u.ID)
	return u, nil
}

// recordLogin keeps when the person last signed in (last_login_at). It is
// bookkeeping: a failure is logged, never the sign-in's.
func (s *Accounts) recordLogin(ctx context.Context, id string) {
	now := s.d.Clock.Now()
	if _, err := s.d.Users.UpdateUser(ctx, id, func(u core.User) (core.User, error) {
		u.LastLoginAt = now
		return u, nil
	}); err != nil && !errors.Is(err, core.ErrNotFound) {
		s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "last sign-in not recorded", slog.String("user_id", id), slog.String("error", err.Error()))
	}
}

// deviceKeys are the keys under which the caller's device may be known to
// an account: its device cookie first, then its address (core.LoginDevice).
func deviceKeys(ctx context.Context) []string {
	info := RequestInfoFrom(ctx)
	keys := make([]string, 0, 2)
	if info.Device != "" {
		keys = append(keys, core.DeviceCookieKey(info.Device))
	}
	if info.IP != "" {
		keys = append(keys, core.DeviceAddressKey(info.IP))
	}
	return keys
}

// checkPassword compares password with u's under the login throttle. The
// attempt counts in one bucket: that of the caller's device when it signed
// in to this account before (by its device cookie, else by its address),
// else the account's own bucket, which every other caller shares. So
// guesses from anywhere else cannot keep the owner out of a device they
// used before, and the guesses an account can receive per hour are bounded
// by 2*core.MaxLoginDevices+1 buckets. The attempt is counted before the
// comparison and the bucket cleared after a match, so concurrent guesses
// are throttled too; a match also remembers the caller's device. When a
// second factor must follow (complete false) a match leaves the attempt
// counted and remembers nothing: the second step clears it.
func (s *Accounts) checkPassword(ctx context.Context, u core.User, password string, complete bool) error {
	now := s.d.Clock.Now()
	keys := deviceKeys(ctx)
	device, failures, err := s.countAttempt(ctx, u, keys, now)
	where := "account"
	if device != "" {
		where = "known device"
	}
	if errors.Is(err, core.ErrLocked) {
		s.compareDummy(password)
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginFailed, ActorType: core.AuditActorUser, SubjectID: u.ID, UserID: u.ID, Detail: where + " in login back-off"})
		return fmt.Errorf("%w: %w", core.ErrInvalidCredentials, err)
	}
	if err != nil {
		return err
	}
	if err := s.comparePassword(u.PasswordHash, password); err != nil {
		if !errors.Is(err, core.ErrUnauthenticated) {
			return err
		}
		detail := "wrong password"
		if wait := s.cfg.Throttle.Wait(failures); wait > 0 {
			detail = fmt.Sprintf("wrong password; %d consecutive failures (%s), next attempt in %s", failures, where, wait)
		}
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginFailed, ActorType: core.AuditActorUser, SubjectID: u.ID, UserID: u.ID, Detail: detail})
		return core.ErrInvalidCredentials
	}
	if !complete {
		return nil
	}
	return s.passwordSucceeded(ctx, u, keys, device, now)
}

// passwordSucceeded clears the back-off bucket an attempt counted in
// (device, or "" for the account's own) and remembers the caller's
// device: the sign-in is complete.
func (s *Accounts) passwordSucceeded(ctx context.Context, u core.User, keys []string, device string, now time.Time) error {
	var err error
	if device != "" {
		_, err = s.d.Devices.UpdateLoginDevice(ctx, u.ID, device, func(d core.LoginDevice) (core.LoginDevice, error) {
			d.LoginBackoff = core.LoginBackoff{}
			return d, nil
		})
	} else {
		_, err = s.d.Users.UpdateUser(ctx, u.ID, func(u core.User) (core.User, error) {
			return s.cfg.Throttle.Succeeded(u), nil
		})
	}
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return err
	}
	return s.rememberDevice(ctx, u.ID, keys, now)
}

// countAttempt counts one attempt in the bucket of the first of keys known
// to the account, else in the account's own, and returns which device it
// counted in ("" for the account) and its failures so far.
func (s *Accounts) countAttempt(ctx context.Context, u core.User, keys []string, now time.Time) (string, int, error) {
	for _, key := range keys {
		d, err := s.d.Devices.UpdateLoginDevice(ctx, u.ID, key, func(d core.LoginDevice) (core.LoginDevice, error) {
			b, err := s.cfg.Throttle.Count(d.LoginBackoff, now)
			d.LoginBackoff = b
			return d, err
		})
		if errors.Is(err, core.ErrNotFound) {
			continue
		}
		s.noticeBackoff(u, d.FailedLogins, err)
		return key, d.FailedLogins, err
	}
	counted, err := s.d.Users.UpdateUser(ctx, u.ID, func(u core.User) (core.User, error) {
		return s.cfg.Throttle.CountAttempt(u, now)
	})
	s.noticeBackoff(u, counted.FailedLogins, err)
	return "", counted.FailedLogins, err
}

// noticeBackoff mails the person when an attempt just put a bucket of
// their account into the lock of the failed-sign-in back-off.
func (s *Accounts) noticeBackoff(u core.User, failures int, err error) {
	if err != nil || failures != s.cfg.Throttle.LockAfter {
		return
	}
	s.notice(u.ID, "backoff", "Sign-ins to your account are failing",
		"There have been many failed attempts to sign in to your account, so sign-ins are slowed down for a while. "+
			"If this was you, wait a few minutes. If not, someone may be guessing your password or codes: change your password "+
			"and turn on a second factor. You can still sign in from a browser or network you have used before.")
}

// rememberDevice records that the caller's device signed in to userID (or
// proved it owns the account by a password reset).
func (s *Accounts) rememberDevice(ctx context.Context, userID string, keys []string, now time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	err := s.d.Devices.RememberLoginDevices(ctx, userID, keys, now, core.MaxLoginDevices)
	if errors.Is(err, core.ErrNotFound) {
		return nil // the account was deleted meanwhile
	}
	return err
}

// findUserByEmail looks an account up by a typed address under each of
// emailLookups' forms.
func (s *Accounts) findUserByEmail(ctx context.Context, typed string) (core.User, error) {
	var err error
	for _, email := range emailLookups(typed) {
		if email == "" {
			continue
		}
		var u core.User
		if u, err = s.d.Users.GetUserByEmail(ctx, email); err == nil || !errors.Is(err, core.ErrNotFound) {
			return u, err
		}
	}
	if err == nil {
		err = fmt.Errorf("user by email: %w", core.ErrNotFound)
	}
	return core.User{}, err
}

// comparePassword compares a typed password with a stored hash under each
// of passwordCandidates' forms; core.ErrUnauthenticated when none matches.
// The hasher refuses anything longer than it reads (bcrypt: 72 bytes), so
// a password with extra bytes after a correct prefix never matches.
func (s *Accounts) comparePassword(hash, typed string) error {
	if hash == core.NoPassword {
		// An account without a password (made by an upstream sign-in)
		// takes as long to refuse as any other.
		_ = s.comparePassword(s.dummy, typed)
		return core.ErrUnauthenticated
	}
	err := core.ErrUnauthenticated
	for _, pw := range passwordCandidates(typed) {
		if err = s.d.Passwords.Compare(hash, pw); !errors.Is(err, core.ErrUnauthenticated) {
			return err
		}
	}
	return err
}

// compareDummy spends the time comparePassword would, when there is no
// real hash to compare with.
func (s *Accounts) compareDummy(typed string) { _ = s.comparePassword(s.dummy, typed) }

// preparePassword normalises a new password (RFC 8265 OpaqueString) and
// checks it; msg is "" when the normalised password may be used.
func preparePassword(typed, email string) (password, msg string) {
	pw, ok := normalizePassword(typed)
	if !ok {
		return "", "contains a character that cannot be part of a password (a control or unassigned code point)"
	}
	return pw, core.ValidatePassword(pw, email)
}

// Login authenticates a person and issues an access and a refresh token
// under the first-party client identity-web. Holders of the admin role get
// the management scopes.
func (s *Accounts) Login(ctx context.Context, email, password string) (core.TokenResponse, error) {
	var v core.ValidationError
	if strings.TrimSpace(email) == "" {
		v.Add("email", "is required")
	}
	if password == "" {
		v.Add("password", "is required")
	}
	if err := v.Err(); err != nil {
		return core.TokenResponse{}, err
	}
	u, err := s.Authenticate(ctx, email, password)
	if err != nil {
		return core.TokenResponse{}, err
	}
	return s.issueLogin(ctx, u, []string{core.AMRPassword})
}

// issueLogin issues the tokens of a completed /api/auth/login under
// identity-web, amr naming the methods used, and records login.succeeded.
func (s *Accounts) issueLogin(ctx context.Context, u core.User, amr []string) (core.TokenResponse, error) {
	client, err := s.d.Clients.GetClient(ctx, WebClientID)
	if err != nil {
		return core.TokenResponse{}, fmt.Errorf("load client %s: %w", WebClientID, err)
	}
	scopes := core.GrantableScopes(u, client.Scopes)
	now := s.d.Clock.Now()
	resp, err := s.d.Tokens.Issue(ctx, Grant{Client: client, UserID: u.ID, Scopes: scopes, WithRefresh: true, GrantType: "login", AuthTime: now, AMR: amr})
	if err != nil {
		return core.TokenResponse{}, err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginSucceeded, ActorType: core.AuditActorUser, ActorID: u.ID, SubjectID: u.ID, UserID: u.ID, ClientID: client.ID, Success: true})
	return resp, nil
}

// SignIn authenticates a person at a browser page of clientID (the
// authorization endpoint, a grant's page) and records login.succeeded;
// failures are recorded as Authenticate records them.
func (s *Accounts) SignIn(ctx context.Context, email, password, clientID, where string) (core.User, error) {
	u, err := s.Authenticate(ctx, email, password)
	if err != nil {
		return core.User{}, err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditLoginSucceeded, ActorType: core.AuditActorUser, ActorID: u.ID, SubjectID: u.ID, UserID: u.ID, ClientID: clientID, Success: true, Detail: where})
	return u, nil
}

// Logout revokes the presented access token until its exp and the
// refresh-token family it came with.
func (s *Accounts) Logout(ctx context.Context, t core.AccessToken) error {
	if err := s.d.Tokens.RevokeAccess(ctx, t); err != nil {
		return err
	}
	if err := s.d.Tokens.RevokeFamily(ctx, t.FamilyID); err != nil {
		return err
	}
	// Signing out through the API signs the person out of the
	// authorization endpoint too: a browser session left open would hand
	// out new codes, and so new tokens, after the logout.
	if t.UserID != "" {
		if err := s.EndSessions(ctx, t.UserID); err != nil {
			return err
		}
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditTokenRevoked, ActorType: core.AuditActorUser, ActorID: t.UserID, SubjectID: t.UserID, UserID: t.UserID, ClientID: t.ClientID, Success: true, Detail: "logout"})
	return nil
}

// Get returns an account.
// EndSessions ends every browser session of the person at the
// authorization endpoint: sessions opened before now no longer sign
// anyone in, on any instance (RP-Initiated Logout, "Not you? Sign out",
// POST /api/auth/logout).
func (s *Accounts) EndSessions(ctx context.Context, userID string) error {
	now := s.d.Clock.Now()
	_, err := s.d.Users.UpdateUser(ctx, userID, func(u core.User) (core.User, error) {
		u.SessionsEndedAt = now.Truncate(time.Millisecond)
		return u, nil
	})
	if errors.Is(err, core.ErrNotFound) {
		return nil
	}
	return err
}

func (s *Accounts) Get(ctx context.Context, id string) (core.User, error) {
	return s.d.Users.GetUser(ctx, id)
}

// UpdateInput changes an account; nil fields stay as they are.
type UpdateInput struct {
	FirstName       *string
	LastName        *string
	Password        *string
	CurrentPassword *string
}

// Update changes names and, given the current password, the password. A
// new password revokes the account's refresh tokens, so every other
// session has to sign in again.
func (s *Accounts) Update(ctx context.Context, id string, in UpdateInput) (core.User, error) {
	u, err := s.d.Users.GetUser(ctx, id)
	if err != nil {
		return core.User{}, err
	}
	var v core.ValidationError
	if in.FirstName != nil {
		if msg := core.ValidateName(*in.FirstName); msg != "" {
			v.Add("first_name", msg)
		}
	}
	if in.LastName != nil {
		if msg := core.ValidateName(*in.LastName); msg != "" {
			v.Add("last_name", msg)
		}
	}
	var newHash, newPassword string
	if in.Password != nil {
		var msg string
		if newPassword, msg = preparePassword(*in.Password, u.Email); msg != "" {
			v.Add("password", msg)
		}
		if in.CurrentPassword == nil || *in.CurrentPassword == "" {
			v.Add("current_password", "is required to change the password")
		}
	}
	if err := v.Err(); err != nil {
		return core.User{}, err
	}
	if in.Password != nil {
		if err := s.checkCurrentPassword(ctx, u, *in.CurrentPassword); err != nil {
			return core.User{}, err
		}
		if newHash, err = s.d.Passwords.Hash(newPassword); err != nil {
			return core.User{}, err
		}
	}
	updated, err := s.d.Users.UpdateUser(ctx, id, func(u core.User) (core.User, error) {
		if in.FirstName != nil {
			u.FirstName = strings.TrimSpace(*in.FirstName)
		}
		if in.LastName != nil {
			u.LastName = strings.TrimSpace(*in.LastName)
		}
		if newHash != "" {
			// Everything derived from the old password (reset links,
			// codes, device approvals, refresh-token families, sessions)
			// ends here (core.CredentialAlive).
			u.PasswordHash, u.NotBefore = newHash, s.d.Clock.Now()
		}
		u.UpdatedAt = s.d.Clock.Now()
		return u, nil
	})
	if err != nil {
		return core.User{}, err
	}
	if newHash != "" {
		// Every token made under the old password ends with it, the
		// access tokens refreshed or exchanged from its families included
		// (as after a reset): a password is changed because it may be
		// known to someone else.
		if err := s.d.Tokens.RevokeAll(ctx, core.TokenFilter{UserID: id}); err != nil {
			return core.User{}, err
		}
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditTokenRevoked, ActorType: core.AuditActorUser, ActorID: id, SubjectID: id, UserID: id, Success: true, Detail: "password changed: tokens revoked"})
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditPasswordChanged, ActorType: core.AuditActorUser, ActorID: id, SubjectID: id, UserID: id, Success: true})
	}
	return updated, nil
}

// checkCurrentPassword confirms a password for a change to the account
// under the same throttle as login; a mismatch names the field.
func (s *Accounts) checkCurrentPassword(ctx context.Context, u core.User, password string) error {
	err := s.checkPassword(ctx, u, password, true)
	if errors.Is(err, core.ErrInvalidCredentials) {
		return &core.ValidationError{Fields: map[string]string{"current_password": "is incorrect"}}
	}
	return err
}

// Delete removes an account after checking its password: every token of it
// is revoked first, then the account and what belongs to it is deleted.
func (s *Accounts) Delete(ctx context.Context, id, currentPassword string) error {
	if currentPassword == "" {
		return &core.ValidationError{Fields: map[string]string{"current_password": "is required to delete the account"}}
	}
	u, err := s.d.Users.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if err := s.checkCurrentPassword(ctx, u, currentPassword); err != nil {
		return err
	}
	if err := s.d.Tokens.RevokeAll(ctx, core.TokenFilter{UserID: id}); err != nil {
		return err
	}
	if err := s.d.Users.DeleteUser(ctx, id); err != nil {
		return err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditTokenRevoked, ActorType: core.AuditActorUser, ActorID: id, SubjectID: id, UserID: id, Success: true, Detail: "account deleted: every token revoked"})
	return nil
}

// RequestPasswordReset sends a reset token to the account's address when
// there is one. It answers the same whether or not the account exists; only
// a malformed address or an unreachable store is an error.
func (s *Accounts) RequestPasswordReset(ctx context.Context, typed string) error {
	email, ok := normalizeEmail(typed)
	if !ok {
		return &core.ValidationError{Fields: map[string]string{"email": "must be a valid email address"}}
	}
	if msg := core.ValidateEmail(email); msg != "" {
		return &core.ValidationError{Fields: map[string]string{"email": msg}}
	}
	// Everything else, the lookup included, happens on the mail queue, so
	// the answer takes the same time for known and unknown addresses.
	s.d.Mail.enqueue("password reset", func(ctx context.Context, send func(func(context.Context) error) error) {
		s.sendPasswordReset(ctx, typed, send)
	})
	return nil
}

// sendPasswordReset is the queued half of RequestPasswordReset.
func (s *Accounts) sendPasswordReset(ctx context.Context, typed string, send func(func(context.Context) error) error) {
	u, err := s.findUserByEmail(ctx, typed)
	if errors.Is(err, core.ErrNotFound) {
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditPasswordReset, ActorType: core.AuditActorUser, Detail: "reset requested for an unknown email"})
		return
	}
	if err != nil {
		s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "password reset: look up account", slog.String("error", err.Error()))
		return
	}
	if !s.allowMail(ctx, "password-reset", u.ID) {
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditPasswordReset, ActorType: core.AuditActorUser, SubjectID: u.ID, UserID: u.ID, Detail: "reset requested; mail limit reached, nothing sent"})
		return
	}
	raw := s.d.Random.NewToken()
	now := s.d.Clock.Now()
	r := core.PasswordReset{Hash: s.d.Secrets.Hash(raw), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.ResetTTL)}
	if err := s.d.Resets.CreatePasswordReset(ctx, r); err != nil {
		s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "password reset: store token", slog.String("user_id", u.ID), slog.String("error", err.Error()))
		return
	}
	if err := send(func(ctx context.Context) error {
		return s.d.Mailer.SendPasswordReset(ctx, u.Email, raw, int(s.cfg.ResetTTL/time.Minute))
	}); err != nil {
		s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "password reset mail not sent", slog.String("user_id", u.ID), slog.String("error", err.Error()))
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditPasswordReset, ActorType: core.AuditActorUser, SubjectID: u.ID, UserID: u.ID, Success: true, Detail: "reset requested"})
}

// allowMail counts one mail of kind to an account against MailsPerAccount.
// When the counter cannot be reached the mail goes out (a person locked
// out needs it more than a counter needs to be exact), with a warning.
func (s *Accounts) allowMail(ctx context.Context, kind, userID string) bool {
	if s.d.Limits == nil {
		return true
	}
	res, err := s.d.Limits.Allow(ctx, "mail:"+kind+":"+userID, MailsPerAccount, s.d.Clock.Now())
	if err != nil {
		s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "mail limit not counted", slog.String("kind", kind), slog.String("error", err.Error()))
		return true
	}
	return res.Allowed
}

// verifyToken is the e-mail verification token of u, valid until exp: the
// account id, the expiry and a keyed hash binding both to the address. It
// is stored nowhere; it is single-use because its only effect, marking
// the address verified, can happen once, after which it is refused.
func (s *Accounts) verifyToken(u core.User, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 36)
	return u.ID + "." + e + "." + s.d.Secrets.Hash("verify-email\x00"+u.ID+"\x00"+u.Email+"\x00"+e)
}

// SendVerification mails u a link that verifies their address, unless
// the address is verified already or MailsPerAccount is spent. The work
// happens on the mail queue; it returns at once.
func (s *Accounts) SendVerification(u core.User) {
	if u.EmailVerified {
		return
	}
	s.d.Mail.enqueue("verify e-mail", func(ctx context.Context, send func(func(context.Context) error) error) {
		if !s.allowMail(ctx, "verify-email", u.ID) {
			s.d.Logger.LogAttrs(ctx, slog.LevelInfo, "verification mail limit reached: nothing sent", slog.String("user_id", u.ID))
			return
		}
		token := s.verifyToken(u, s.d.Clock.Now().Add(VerifyEmailTTL))
		if err := send(func(ctx context.Context) error {
			return s.d.Mailer.SendEmailVerification(ctx, u.Email, token, int(VerifyEmailTTL/time.Minute))
		}); err != nil {
			s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "verification mail not sent", slog.String("user_id", u.ID), slog.String("error", err.Error()))
		}
	})
}

// ResendVerification sends the verification mail again to the account
// with email, when it exists and is unverified; like a reset request it
// answers the same for every address, and the work happens on the queue.
func (s *Accounts) ResendVerification(ctx context.Context, typed string) error {
	email, ok := normalizeEmail(typed)
	if !ok {
		return &core.ValidationError{Fields: map[string]string{"email": "must be a valid email address"}}
	}
	if msg := core.ValidateEmail(email); msg != "" {
		return &core.ValidationError{Fields: map[string]string{"email": msg}}
	}
	s.d.Mail.enqueue("resend verification", func(ctx context.Context, _ func(func(context.Context) error) error) {
		u, err := s.findUserByEmail(ctx, typed)
		if err == nil {
			s.SendVerification(u)
		}
	})
	return nil
}

// equalHashed reports whether hash is secret's hash under h's key or its
// next or previous one.
func equalHashed(h ports.SecretHasher, hash, secret string) bool {
	if h.Equal(hash, secret) {
		return true
	}
	for _, o := range ports.Others(h) {
		if o.Equal(hash, secret) {
			return true
		}
	}
	return false
}

// errBadVerifyToken is the one answer to every token that does not verify.
var errBadVerifyToken = &core.ValidationError{Fields: map[string]string{"token": "is invalid, already used or expired"}}

// VerifyEmail marks the address of the token's account verified (OpenID
// Connect Core §5.1 email_verified). A token that is malformed, expired,
// for another address, or already used is a core.ValidationError on
// "token".
func (s *Accounts) VerifyEmail(ctx context.Context, token string) (core.User, error) {
	if token == "" {
		return core.User{}, &core.ValidationError{Fields: map[string]string{"token": "is required"}}
	}
	parts := strings.Split(token, ".")
	if len(parts) == 4 && len(token) <= 1024 && isUUID(parts[0]) {
		// A link that confirms a new address (RequestEmailChange).
		return s.confirmEmailChange(ctx, parts)
	}
	if len(parts) != 3 || len(token) > 512 || !isUUID(parts[0]) {
		return core.User{}, errBadVerifyToken
	}
	exp, err := strconv.ParseInt(parts[1], 36, 64)
	if err != nil || !s.d.Clock.Now().Before(time.Unix(exp, 0)) {
		return core.User{}, errBadVerifyToken
	}
	var verified core.User
	_, err = s.d.Users.UpdateUser(ctx, parts[0], func(u core.User) (core.User, error) {
		want := "verify-email\x00" + u.ID + "\x00" + u.Email + "\x00" + parts[1]
		if u.EmailVerified || !equalHashed(s.d.Secrets, parts[2], want) {
			return u, errBadVerifyToken
		}
		u.EmailVerified, u.UpdatedAt = true, s.d.Clock.Now()
		verified = u
		return u, nil
	})
	if errors.Is(err, core.ErrNotFound) {
		return core.User{}, errBadVerifyToken
	}
	if err != nil {
		return core.User{}, err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditEmailVerified, ActorType: core.AuditActorUser, ActorID: verified.ID, SubjectID: verified.ID, UserID: verified.ID, Success: true})
	return verified, nil
}

// errResetCutOff is a reset link mailed before the password last changed.
var errResetCutOff = errors.New("reset link older than the password")

// ConfirmPasswordReset sets a new password with a reset token. The token
// is single-use, expires, and is void once the password changed after it
// was mailed or a newer link was mailed; the account's tokens are revoked, its login
// back-off cleared, and the caller's device (RequestInfo) remembered as one
// the owner signs in from.
func (s *Accounts) ConfirmPasswordReset(ctx context.Context, token, password string) error {
	var v core.ValidationError
	if token == "" {
		v.Add("token", "is required")
	}
	password, msg := preparePassword(password, "")
	if msg != "" {
		v.Add("password", msg)
	}
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.d.Passwords.Hash(password)
	if err != nil {
		return err
	}
	r, err := ports.FindHashed(s.d.Secrets, token, func(hash string) (core.PasswordReset, error) {
		return s.d.Resets.ConsumePasswordReset(ctx, hash, s.d.Clock.Now())
	})
	if errors.Is(err, core.ErrNotFound) {
		s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditPasswordReset, ActorType: core.AuditActorUser, Detail: "unknown, used or expired reset token"})
		return &core.ValidationError{Fields: map[string]string{"token": "is invalid, already used or expired"}}
	}
	if err != nil {
		return err
	}
	if _, err := s.d.Users.UpdateUser(ctx, r.UserID, func(u core.User) (core.User, error) {
		// A link mailed before the password last changed (by a reset or
		// by the person) is void (core.CredentialAlive).
		if !core.CredentialAlive(u, r.CreatedAt) {
			return u, errResetCutOff
		}
		u = s.cfg.Throttle.Succeeded(u)
		now := s.d.Clock.Now()
		u.PasswordHash, u.UpdatedAt, u.NotBefore = hash, now, now
		return u, nil
	}); err != nil {
		if errors.Is(err, errResetCutOff) {
			s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditPasswordReset, SubjectID: r.UserID, Detail: "reset link older than the last password change"})
		}
		if errors.Is(err, core.ErrNotFound) || errors.Is(err, errResetCutOff) {
			return &core.ValidationError{Fields: map[string]string{"token": "is invalid, already used or expired"}}
		}
		return err
	}
	if err := s.d.Tokens.RevokeAll(ctx, core.TokenFilter{UserID: r.UserID}); err != nil {
		return err
	}
	// The mailbox proved the owner: the device that reset the password
	// signs in from now on in its own bucket, even while others keep the
	// account's bucket locked.
	if err := s.rememberDevice(ctx, r.UserID, deviceKeys(ctx), s.d.Clock.Now()); err != nil {
		return err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditPasswordReset, ActorType: core.AuditActorUser, ActorID: r.UserID, SubjectID: r.UserID, UserID: r.UserID, Success: true, Detail: "password reset; tokens revoked"})
	return nil
}

// EnsureUser creates the account with email if there is none, with the
// given roles (the bootstrap admin). It reports whether it created one.
func (s *Accounts) EnsureUser(ctx context.Context, in RegisterInput) (bool, error) {
	_, err := s.findUserByEmail(ctx, in.Email)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, core.ErrNotFound) {
		return false, err
	}
	if _, err := s.Register(ctx, in); err != nil {
		if errors.Is(err, core.ErrAlreadyExists) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// isUUID reports whether s has the shape of the ids Random.NewID makes, so
// nothing else reaches a store lookup.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		default:
			return false
		}
	}
	return true
}
