package core

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// SignIn is a person's sign-in as an authorization request sees it: who,
// when (OpenID Connect's auth_time), and whether it was made in answer to
// this very request.
type SignIn struct {
	UserID string
	// Time is when the person signed in.
	Time time.Time
	// ForRequest reports whether the person signed in (presented their
	// password) in answer to the authorization request being decided,
	// rather than arriving with a session opened earlier.
	ForRequest bool
	// AMR are the methods of the sign-in (RFC 8176 §2); nil is a
	// password ("pwd").
	AMR []string
	// SecondFactor reports whether the person has a second factor they
	// could prove (known when the request asks for one).
	SecondFactor bool
}

// SignInRequirements are what an authorization request asks of the
// sign-in behind its code (OpenID Connect Core §3.1.2.1). Every path that
// issues a code checks them with Unmet; a new condition (a second factor,
// an acr value) is a field here and a case in Unmet.
type SignInRequirements struct {
	// Fresh is prompt=login or prompt=select_account: the person must
	// sign in for this request, whatever session exists.
	Fresh bool
	// MaxAge is max_age: the longest time since the sign-in, negative for
	// no limit. A sign-in made for the request meets it (max_age=0 is
	// prompt=login, §3.1.2.1), however long the consent page then stays
	// open.
	MaxAge time.Duration
	// Subject is the sub of the id_token_hint: the person who must be
	// signed in, empty for anyone.
	Subject string
	// MFA is acr_values=urn:identityd:acr:mfa: a person who has a second
	// factor must have proved it in this sign-in (step-up).
	MFA bool
}

// Unmet returns nil when s satisfies every requirement at now, else a
// login_required OAuthError naming the first unmet one. A caller with a
// person at the browser shows the sign-in form instead; one that may not
// ask (prompt=none) or is about to issue a code returns the error.
func (q SignInRequirements) Unmet(s SignIn, now time.Time) error {
	switch {
	case s.UserID == "":
		return NewOAuthError(CodeLoginRequired, "the person must sign in")
	case q.Fresh && !s.ForRequest:
		return NewOAuthError(CodeLoginRequired, "the request asks for a fresh sign-in (prompt=login)")
	case q.MaxAge >= 0 && !s.ForRequest && now.Sub(s.Time) > q.MaxAge:
		return NewOAuthError(CodeLoginRequired, "the sign-in is older than max_age")
	case q.Subject != "" && q.Subject != s.UserID:
		return NewOAuthError(CodeLoginRequired, "the id_token_hint names another person")
	case q.MFA && s.SecondFactor && !contains(s.AMR, AMRMFA):
		return NewOAuthError(CodeLoginRequired, "the request asks for a second factor (acr_values)").Wrap(ErrMFARequired)
	}
	return nil
}

// SessionID is the sid claim (OpenID Connect Front-Channel Logout 1.0 §3)
// of the ID tokens issued from the browser session in which userID signed
// in at authTime: the same for every token of that sign-in, different for
// every other sign-in (authTime is kept to the millisecond). It identifies
// and grants nothing by itself: it is only ever read from a token this
// server signed. Empty when authTime is unknown.
func SessionID(userID string, authTime time.Time) string {
	if userID == "" || authTime.IsZero() {
		return ""
	}
	sum := sha256.Sum256([]byte("sid\x00" + userID + "\x00" + strconv.FormatInt(authTime.UnixMilli(), 10)))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
