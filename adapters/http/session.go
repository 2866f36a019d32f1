package http

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
)

// SessionConfig configures the browser session of the authorization
// endpoint.
type SessionConfig struct {
	// Key signs session cookies and CSRF tokens (HMAC-SHA256); at least
	// 32 bytes, derived from a configured secret so every instance shares
	// it.
	Key []byte
	// PreviousKey, when set, is the key of a former secret: what it
	// signed still verifies until it expires; nothing new is signed with
	// it.
	PreviousKey []byte
	// NextKey, when set, is the key of the secret to come
	// (JWT_REFRESH_SECRET_NEXT): what instances already switched to it
	// signed verifies here; nothing is signed with it here.
	NextKey []byte
	// TTL is how long a sign-in lasts.
	TTL time.Duration
	// Secure marks the cookies Secure and gives them the __Host- prefix
	// (production).
	Secure bool
}

// sessions keeps the sign-in of a browser in an HMAC-signed cookie, so any
// instance can read it without shared storage. The cookie holds the user
// id, its expiry and a tag of the user's password hash: changing or
// resetting the password, or deleting the account, ends every session at
// once. CSRF protection is a signed double-submit token: a random seed in
// its own cookie, and in each form the HMAC of that seed, which a
// cross-site page can neither read nor compute.
type sessions struct {
	cfg           SessionConfig
	sessionCookie string
	csrfCookie    string
	deviceCookie  string
}

func newSessions(cfg SessionConfig) *sessions {
	s := &sessions{cfg: cfg, sessionCookie: "identityd_session", csrfCookie: "identityd_csrf", deviceCookie: "identityd_device"}
	if cfg.Secure {
		s.sessionCookie, s.csrfCookie, s.deviceCookie = "__Host-"+s.sessionCookie, "__Host-"+s.csrfCookie, "__Host-"+s.deviceCookie
	}
	if s.cfg.TTL <= 0 {
		s.cfg.TTL = 8 * time.Hour
	}
	return s
}

func (s *sessions) mac(parts ...string) []byte { return macWith(s.cfg.Key, parts...) }

func macWith(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return m.Sum(nil)
}

// verify reports whether tag, encoded by enc, is the MAC of parts under
// the key, the next key or the previous key.
func (s *sessions) verify(tag string, enc func([]byte) string, parts ...string) bool {
	if hmac.Equal([]byte(tag), []byte(enc(s.mac(parts...)))) {
		return true
	}
	if s.cfg.NextKey != nil && hmac.Equal([]byte(tag), []byte(enc(macWith(s.cfg.NextKey, parts...)))) {
		return true
	}
	return s.cfg.PreviousKey != nil && hmac.Equal([]byte(tag), []byte(enc(macWith(s.cfg.PreviousKey, parts...))))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// b64Tag is the 12-byte prefix of a MAC, encoded.
func b64Tag(b []byte) string { return b64(b[:12]) }

// passwordTag binds a session to the password it was opened with.
func (s *sessions) passwordTag(u core.User) string {
	return b64Tag(s.mac("password", u.ID, u.PasswordHash))
}

func (s *sessions) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteLaxMode,
	}
}

// start sets the session cookie for u, signed in at now (the auth_time of
// OpenID Connect, kept to the millisecond so a sign-in right after a
// sign-out is told apart from the sessions it ended).
func (s *sessions) start(w http.ResponseWriter, u core.User, now time.Time) {
	s.startWith(w, u, now, nil)
}

// startWith is start for a sign-in by the methods amr (RFC 8176; nil: a
// password), which the cookie keeps for the amr and acr of the codes it
// yields and for step-up (acr_values).
func (s *sessions) startWith(w http.ResponseWriter, u core.User, now time.Time, amr []string) {
	parts := []string{u.ID, strconv.FormatInt(now.Add(s.cfg.TTL).Unix(), 10), s.passwordTag(u), strconv.FormatInt(now.UnixMilli(), 10)}
	if len(amr) > 0 {
		parts = append(parts, strings.Join(amr, " "))
	}
	payload := strings.Join(parts, "|")
	value := b64([]byte(payload)) + "." + b64(s.mac("session", payload))
	http.SetCookie(w, s.cookie(s.sessionCookie, value, int(s.cfg.TTL/time.Second)))
}

// end clears the session cookie of this browser.
func (s *sessions) end(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie(s.sessionCookie, "", -1))
}

// userID returns the user id of a well-signed, unexpired session cookie,
// the password tag to compare with the user's current one, and when the
// person signed in.
func (s *sessions) userID(r *http.Request, now time.Time) (id, tag string, authTime time.Time, ok bool) {
	c, err := r.Cookie(s.sessionCookie)
	if err != nil {
		return "", "", time.Time{}, false
	}
	enc, sig, found := strings.Cut(c.Value, ".")
	if !found {
		return "", "", time.Time{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !s.verify(sig, b64, "session", string(raw)) {
		return "", "", time.Time{}, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 && len(parts) != 5 {
		return "", "", time.Time{}, false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !now.Before(time.Unix(exp, 0)) {
		return "", "", time.Time{}, false
	}
	at, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return "", "", time.Time{}, false
	}
	return parts[0], parts[2], time.UnixMilli(at).UTC(), true
}

// methods returns the amr of the browser's session (RFC 8176): what
// startWith recorded, else a password. Call it after userID accepted the
// cookie.
func (s *sessions) methods(r *http.Request) []string {
	c, err := r.Cookie(s.sessionCookie)
	if err != nil {
		return nil
	}
	enc, _, _ := strings.Cut(c.Value, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 5 {
		return []string{core.AMRPassword}
	}
	return strings.Fields(parts[4])
}

// valid reports whether a session's password tag still matches u.
func (s *sessions) valid(u core.User, tag string) bool {
	return s.verify(tag, b64Tag, "password", u.ID, u.PasswordHash)
}

// csrfToken returns the token to put in a form, setting the seed cookie
// when the browser has none.
func (s *sessions) csrfToken(w http.ResponseWriter, r *http.Request) string {
	seed := ""
	if c, err := r.Cookie(s.csrfCookie); err == nil && len(c.Value) >= 32 {
		seed = c.Value
	} else {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		seed = b64(b)
		http.SetCookie(w, s.cookie(s.csrfCookie, seed, 0))
	}
	return b64(s.mac("csrf", seed))
}

// checkCSRF reports whether the form's token matches the seed cookie.
func (s *sessions) checkCSRF(r *http.Request, token string) bool {
	c, err := r.Cookie(s.csrfCookie)
	if err != nil || token == "" {
		return false
	}
	return s.verify(token, b64, "csrf", c.Value)
}

// signedInFor is the proof, put in the consent form, that the person
// signed in (presented their password) in answer to the authorization
// request with key: a MAC of the key, the person and the sign-in's time
// to the millisecond. The page that asks for the password never carries
// it, so a consent form posted from there proves no sign-in, and the
// proof of one request or one sign-in is worth nothing for another.
func (s *sessions) signedInFor(key string, in core.SignIn) string {
	return b64(s.mac("signed-in-for", key, in.UserID, strconv.FormatInt(in.Time.UnixMilli(), 10)))
}

// checkSignedInFor reports whether proof is signedInFor(key, in).
func (s *sessions) checkSignedInFor(proof, key string, in core.SignIn) bool {
	if proof == "" || in.UserID == "" {
		return false
	}
	return s.verify(proof, b64, "signed-in-for", key, in.UserID, strconv.FormatInt(in.Time.UnixMilli(), 10))
}

// deviceTTL is how long a browser keeps its device cookie after its last
// sign-in (browsers cap cookie lifetimes at 400 days).
const deviceTTL = 365 * 24 * time.Hour

// device returns the identifier of the browser's device cookie (OWASP's
// "device cookie") and true when it is present and well signed, else a new
// random one and false. The cookie is set by setDevice after a successful
// sign-in or password reset; the account service keeps which accounts
// signed in from which identifiers (core.LoginDevice), so the cookie binds
// the browser to those accounts, and a forged or copied-in value is
// useless without the signature and the account's record.
func (s *sessions) device(r *http.Request) (string, bool) {
	if c, err := r.Cookie(s.deviceCookie); err == nil {
		if raw, sig, ok := strings.Cut(c.Value, "."); ok && len(raw) == 22 {
			if s.verify(sig, b64, "device", raw) {
				return raw, true
			}
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b64(b), false
}

// setDevice (re)sets the device cookie to id for another deviceTTL.
func (s *sessions) setDevice(w http.ResponseWriter, id string) {
	http.SetCookie(w, s.cookie(s.deviceCookie, id+"."+b64(s.mac("device", id)), int(deviceTTL/time.Second)))
}
