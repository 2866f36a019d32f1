package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/identityd/identityd/core"
)

// InvitationTTLFactor: an invitation link (POST /api/users without a
// password) stays valid this many times PASSWORD_RESET_EXPIRY.
const InvitationTTLFactor = 24

// UserQuery is a page of the people administration list.
type UserQuery struct {
	core.UserFilter
	Limit  int
	Cursor string
}

// ListUsers returns a page of the people f selects, ordered by id, and the
// cursor of the next page ("" at the end). A search text longer than
// core.MaxUserQueryLength, or holding a control character, an unknown
// status or an invalid role name is a core.ValidationError.
func (s *Accounts) ListUsers(ctx context.Context, q UserQuery) ([]core.User, string, error) {
	var v core.ValidationError
	if len(q.Query) > core.MaxUserQueryLength {
		v.Add("q", fmt.Sprintf("must be at most %d bytes", core.MaxUserQueryLength))
	} else if !utf8.ValidString(q.Query) || strings.ContainsFunc(q.Query, isControl) {
		v.Add("q", "must be text without control characters")
	}
	switch q.Status {
	case "", core.UserStatusActive, core.UserStatusDisabled:
	default:
		v.Add("status", "must be active or disabled")
	}
	if q.Role != "" {
		if msg := core.ValidateRole(q.Role); msg != "" {
			v.Add("role", msg)
		}
	}
	if q.Limit > core.MaxPageLimit {
		q.Limit = core.MaxPageLimit
	}
	p, err := parsePage(q.Limit, q.Cursor)
	if err != nil {
		var pv *core.ValidationError
		if errors.As(err, &pv) {
			for k, m := range pv.Fields {
				v.Add(k, m)
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	if p.After != "" && !isUUID(p.After) {
		return nil, "", &core.ValidationError{Fields: map[string]string{"cursor": "is not a cursor this server returned"}}
	}
	items, err := s.d.Users.ListUsers(ctx, q.UserFilter, p)
	if err != nil {
		return nil, "", err
	}
	items, next := nextPage(items, p.Limit, func(u core.User) string { return u.ID })
	return items, next, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// errNotUserID answers a path id that cannot be a person's.
var errNotUserID = &core.ValidationError{Fields: map[string]string{"id": "is not a user id"}}

// GetUser returns one person for the administration API; a malformed id
// is a core.ValidationError, an unknown one core.ErrNotFound.
func (s *Accounts) GetUser(ctx context.Context, id string) (core.User, error) {
	if !isUUID(id) {
		return core.User{}, errNotUserID
	}
	return s.d.Users.GetUser(ctx, id)
}

// CreateUserInput is a person an administrator creates. Without Password
// the person is mailed an invitation whose link sets one.
type CreateUserInput struct {
	Email         string
	FirstName     string
	LastName      string
	Password      *string
	Roles         []string
	EmailVerified bool
}

// CreateUser creates an account for caller (POST /api/users) and records
// user.created. Roles are checked by core.ValidateRoles and
// core.AuthorizeUserChange; a taken address is a core.ConflictError.
// Without a password the account gets an unusable random one and an
// invitation mail: a reset link valid InvitationTTLFactor ×
// PASSWORD_RESET_EXPIRY.
func (s *Accounts) CreateUser(ctx context.Context, caller core.Caller, in CreateUserInput) (core.User, error) {
	roles := dedupeRoles(in.Roles)
	if msg := core.ValidateRoles(roles); msg != "" {
		return core.User{}, &core.ValidationError{Fields: map[string]string{"roles": msg}}
	}
	if err := core.AuthorizeUserChange(caller, core.UserCreate, core.User{}, core.User{Roles: roles}, s.cfg.ProtectedRoles); err != nil {
		return core.User{}, err
	}
	invite := in.Password == nil
	password := ""
	if invite {
		// Long enough and random: nobody knows it, and the invitation
		// replaces it.
		password = s.d.Random.NewToken() + "aA1!"
	} else {
		password = *in.Password
	}
	u, err := s.Register(ctx, RegisterInput{Email: in.Email, Password: password, FirstName: in.FirstName, LastName: in.LastName, Roles: roles, EmailVerified: in.EmailVerified})
	if err != nil {
		return core.User{}, err
	}
	s.d.Audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditUserCreated, SubjectID: u.ID, UserID: u.ID, Detail: fmt.Sprintf("roles=%s email_verified=%t invited=%t", strings.Join(roles, ","), u.EmailVerified, invite)})
	if invite {
		s.sendInvitation(u)
	}
	return u, nil
}

// sendInvitation mails u a link that sets their first password, valid
// InvitationTTLFactor × PASSWORD_RESET_EXPIRY; the work happens on the
// mail queue.
func (s *Accounts) sendInvitation(u core.User) {
	ttl := s.cfg.ResetTTL * InvitationTTLFactor
	s.d.Mail.enqueue("invitation", func(ctx context.Context, send func(func(context.Context) error) error) {
		raw := s.d.Random.NewToken()
		now := s.d.Clock.Now()
		r := core.PasswordReset{Hash: s.d.Secrets.Hash(raw), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		if err := s.d.Resets.CreatePasswordReset(ctx, r); err != nil {
			s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "invitation: store token", slog.String("user_id", u.ID), slog.String("error", err.Error()))
			return
		}
		if err := send(func(ctx context.Context) error {
			return s.d.Mailer.SendPasswordReset(ctx, u.Email, raw, int(ttl/time.Minute))
		}); err != nil {
			s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "invitation mail not sent", slog.String("user_id", u.ID), slog.String("error", err.Error()))
		}
	})
}

// AdminUpdateInput changes a person (PATCH /api/users/{id}); nil fields
// stay as they are.
type AdminUpdateInput struct {
	FirstName     *string
	LastName      *string
	Email         *string
	EmailVerified *bool
	Disabled      *bool
	Roles         *[]string
}

// UpdateUser changes a person for caller and records user.updated for the
// fields changed, and user.disabled or user.enabled when that changed.
// Disabling ends every session and revokes every token of the person
// before it returns (on other instances within the change log's
// propagation bound). The rules are core.AuthorizeUserChange's, decided
// against the account as stored inside the atomic update.
func (s *Accounts) UpdateUser(ctx context.Context, caller core.Caller, id string, in AdminUpdateInput) (core.User, error) {
	if !isUUID(id) {
		return core.User{}, errNotUserID
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
	email := ""
	if in.Email != nil {
		e, ok := normalizeEmail(*in.Email)
		if !ok {
			v.Add("email", "must be a valid email address")
		} else if msg := core.ValidateEmail(e); msg != "" {
			v.Add("email", msg)
		}
		email = e
	}
	var roles []string
	if in.Roles != nil {
		roles = dedupeRoles(*in.Roles)
		if msg := core.ValidateRoles(roles); msg != "" {
			v.Add("roles", msg)
		}
	}
	if err := v.Err(); err != nil {
		return core.User{}, err
	}
	var before core.User
	changed := []string{}
	updated, err := s.d.Users.UpdateUser(ctx, id, func(u core.User) (core.User, error) {
		before, changed = u, changed[:0]
		after := u
		if in.FirstName != nil && strings.TrimSpace(*in.FirstName) != u.FirstName {
			after.FirstName, changed = strings.TrimSpace(*in.FirstName), append(changed, "first_name")
		}
		if in.LastName != nil && strings.TrimSpace(*in.LastName) != u.LastName {
			after.LastName, changed = strings.TrimSpace(*in.LastName), append(changed, "last_name")
		}
		if in.Email != nil && email != u.Email {
			after.Email, changed = email, append(changed, "email")
			if in.EmailVerified == nil {
				// A new address is unverified until its owner says so.
				after.EmailVerified = false
			}
		}
		if in.EmailVerified != nil && *in.EmailVerified != u.EmailVerified {
			after.EmailVerified, changed = *in.EmailVerified, append(changed, "email_verified")
		}
		if in.Roles != nil && !sameRoles(roles, u.Roles) {
			after.Roles, changed = roles, append(changed, "roles")
		}
		if in.Disabled != nil {
			after.Disabled = *in.Disabled
			if after.Disabled && !u.Disabled {
				// What the person approved before stays void once they are
				// enabled again (core.CredentialAlive).
				after.NotBefore = s.d.Clock.Now()
			}
		}
		if err := core.AuthorizeUserChange(caller, core.UserUpdate, u, after, s.cfg.ProtectedRoles); err != nil {
			return u, err
		}
		if len(changed) > 0 || after.Disabled != u.Disabled {
			after.UpdatedAt = s.d.Clock.Now()
		}
		return after, nil
	})
	if errors.Is(err, core.ErrAlreadyExists) {
		return core.User{}, &core.ConflictError{Fields: map[string]string{"email": "is already registered"}}
	}
	if err != nil {
		return core.User{}, err
	}
	if updated.Disabled && !before.Disabled {
		if err := s.endEverything(ctx, id); err != nil {
			return core.User{}, err
		}
		s.d.Audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditUserDisabled, SubjectID: id, UserID: id, Detail: "every session ended and every token revoked"})
	}
	if !updated.Disabled && before.Disabled {
		s.d.Audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditUserEnabled, SubjectID: id, UserID: id, Detail: ""})
	}
	if len(changed) > 0 {
		details := map[string]any{"changed": changed}
		if slices.Contains(changed, "roles") {
			details["roles"] = map[string]any{"old": nonNilRoles(before.Roles), "new": nonNilRoles(updated.Roles)}
		}
		if slices.Contains(changed, "email") {
			details["email"] = map[string]any{"old": before.Email, "new": updated.Email}
		}
		s.d.Audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditUserUpdated, SubjectID: id, UserID: id, Detail: "changed " + strings.Join(changed, ", "), Details: details})
	}
	return updated, nil
}

// DeleteUser deletes a person for caller (DELETE /api/users/{id}): every
// token and session of theirs is revoked first, then the account and what
// belongs to it is deleted; user.deleted is recorded.
func (s *Accounts) DeleteUser(ctx context.Context, caller core.Caller, id string) error {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if err := core.AuthorizeUserChange(caller, core.UserDelete, u, core.User{}, s.cfg.ProtectedRoles); err != nil {
		return err
	}
	if err := s.endEverything(ctx, id); err != nil {
		return err
	}
	if err := s.d.Users.DeleteUser(ctx, id); err != nil {
		return err
	}
	s.d.Audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditUserDeleted, SubjectID: id, UserID: id, Detail: "every token revoked"})
	return nil
}

// AdminPasswordReset mails a person a reset link (POST
// /api/users/{id}/password-reset); with signOut it also ends every session
// and revokes every token of theirs, recording session.revoked.
func (s *Accounts) AdminPasswordReset(ctx context.Context, id string, signOut bool) error {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if signOut {
		if err := s.SignOutEverywhere(ctx, id); err != nil {
			return err
		}
	}
	s.d.Mail.enqueue("password reset", func(ctx context.Context, send func(func(context.Context) error) error) {
		s.sendPasswordReset(ctx, u.Email, send)
	})
	return nil
}

// SignOutEverywhere ends every session of a person and revokes every
// token of theirs (DELETE /api/users/{id}/sessions), recording one
// session.revoked event.
func (s *Accounts) SignOutEverywhere(ctx context.Context, id string) error {
	if _, err := s.GetUser(ctx, id); err != nil {
		return err
	}
	if err := s.endEverything(ctx, id); err != nil {
		return err
	}
	s.d.Audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditSessionRevoked, SubjectID: id, UserID: id, Detail: "every session"})
	return nil
}

// endEverything revokes every refresh and access token of a person and
// ends their browser sessions. Access tokens are revoked through the
// revocation cache, which every instance follows by the change log.
func (s *Accounts) endEverything(ctx context.Context, id string) error {
	if err := s.d.Tokens.RevokeAll(ctx, core.TokenFilter{UserID: id}); err != nil {
		return err
	}
	return s.EndSessions(ctx, id)
}

// dedupeRoles drops repeated role names, keeping the first order; nil
// stays empty.
func dedupeRoles(in []string) []string {
	out := make([]string, 0, len(in))
	for _, r := range in {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func nonNilRoles(r []string) []string {
	if r == nil {
		return []string{}
	}
	return r
}

func sameRoles(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, r := range a {
		if !slices.Contains(b, r) {
			return false
		}
	}
	return true
}
