package service

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
)

// EmailChangeTTL is how long the link that confirms a new e-mail address
// works.
const EmailChangeTTL = 24 * time.Hour

// RequestEmailChange starts changing the address of account id to typed
// (contract "A person's own account": PATCH /api/auth/me {email,
// current_password}, 202). The current password is required; the address
// changes only when the link mailed to the new address is followed
// (ConfirmEmailChange through VerifyEmail), and until then sign-in uses
// the old one, which gets a notice. Whether the new address is taken is
// told only at confirmation, as registration tells it. Errors: a
// *core.ValidationError naming email or current_password.
func (s *Accounts) RequestEmailChange(ctx context.Context, id, typed, currentPassword string) error {
	var v core.ValidationError
	email, ok := normalizeEmail(typed)
	switch {
	case !ok:
		v.Add("email", "must be a valid email address")
	case core.ValidateEmail(email) != "":
		v.Add("email", core.ValidateEmail(email))
	}
	if currentPassword == "" {
		v.Add("current_password", "is required to change the e-mail address")
	}
	if err := v.Err(); err != nil {
		return err
	}
	u, err := s.d.Users.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if err := s.checkCurrentPassword(ctx, u, currentPassword); err != nil {
		return err
	}
	if strings.EqualFold(u.Email, email) {
		return &core.ValidationError{Fields: map[string]string{"email": "is the account's address already"}}
	}
	token := s.emailChangeToken(u, email, s.d.Clock.Now().Add(EmailChangeTTL))
	s.d.Mail.enqueue("e-mail change", func(ctx context.Context, send func(func(context.Context) error) error) {
		if !s.allowMail(ctx, "email-change", u.ID) {
			s.d.Logger.LogAttrs(ctx, slog.LevelInfo, "e-mail change mail limit reached: nothing sent", slog.String("user_id", u.ID))
			return
		}
		if err := send(func(ctx context.Context) error {
			return s.d.Mailer.SendEmailVerification(ctx, email, token, int(EmailChangeTTL/time.Minute))
		}); err != nil {
			s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "e-mail change verification not sent", slog.String("user_id", u.ID), slog.String("error", err.Error()))
		}
		if err := send(func(ctx context.Context) error {
			return s.d.Mailer.SendNotice(ctx, u.Email, "Your e-mail address is being changed",
				"Someone who knows your password asked to change the e-mail address of your account to another one. "+
					"Nothing changes unless the link sent to the new address is followed; until then you sign in with this address.")
		}); err != nil {
			s.d.Logger.LogAttrs(ctx, slog.LevelWarn, "e-mail change notice not sent", slog.String("user_id", u.ID), slog.String("error", err.Error()))
		}
	})
	return nil
}

// emailChangeToken is the link token that moves u to email, valid until
// exp: id.exp.base64url(email).mac, the mac binding the account, its
// current address, the new one and the expiry. It is stored nowhere and
// works once: after the change the current address no longer matches.
func (s *Accounts) emailChangeToken(u core.User, email string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 36)
	return u.ID + "." + e + "." + base64.RawURLEncoding.EncodeToString([]byte(email)) + "." +
		s.d.Secrets.Hash(emailChangeMAC(u.ID, u.Email, email, e))
}

func emailChangeMAC(id, current, email, exp string) string {
	return "change-email\x00" + id + "\x00" + current + "\x00" + email + "\x00" + exp
}

// confirmEmailChange applies an e-mail change token (four parts): the
// address becomes the new one, verified, and email.changed is recorded.
// A taken address is a *core.ConflictError (409), as at registration.
func (s *Accounts) confirmEmailChange(ctx context.Context, parts []string) (core.User, error) {
	exp, err := strconv.ParseInt(parts[1], 36, 64)
	if err != nil || !s.d.Clock.Now().Before(time.Unix(exp, 0)) {
		return core.User{}, errBadVerifyToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return core.User{}, errBadVerifyToken
	}
	email, ok := normalizeEmail(string(raw))
	if !ok || email != string(raw) {
		return core.User{}, errBadVerifyToken
	}
	var previous string
	changed, err := s.d.Users.UpdateUser(ctx, parts[0], func(u core.User) (core.User, error) {
		if !equalHashed(s.d.Secrets, parts[3], emailChangeMAC(u.ID, u.Email, email, parts[1])) {
			return u, errBadVerifyToken
		}
		previous = u.Email
		u.Email, u.EmailVerified, u.UpdatedAt = email, true, s.d.Clock.Now()
		return u, nil
	})
	switch {
	case errors.Is(err, core.ErrNotFound):
		return core.User{}, errBadVerifyToken
	case errors.Is(err, core.ErrAlreadyExists):
		return core.User{}, &core.ConflictError{Fields: map[string]string{"email": "is already registered"}}
	case err != nil:
		return core.User{}, err
	}
	s.d.Audit.Record(ctx, core.AuditEvent{Type: core.AuditEmailChanged, ActorType: core.AuditActorUser, ActorID: changed.ID,
		SubjectID: changed.ID, UserID: changed.ID, Success: true, Details: map[string]any{"previous_email": previous, "email": changed.Email}})
	return changed, nil
}
