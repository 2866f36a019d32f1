package memory

import (
	"time"

	"github.com/identityd/identityd/core"
)

// accessRecord is how the store keeps an access token: every issuance adds
// one and keeps it until the token expires, so at thousands of tokens per
// second its size is most of the process's heap. Compared with a copy of
// core.AccessToken (232 bytes plus two slices of its own) it holds the
// times as Unix nanoseconds and shares the audience and scope lists, which
// are the same for most tokens, with every other record that has them.
// GetAccessToken rebuilds the exact core.AccessToken that was saved: a
// token whose times would not come back identical (a location other than
// UTC, a monotonic reading, a year outside 1678–2261) is kept whole in
// full instead.
type accessRecord struct {
	subject  string
	clientID string
	shared   *accessShared // shared with the records that have the same
	issued   int64         // Unix nanoseconds
	expires  int64
	revoked  int64 // 0: not revoked (an exact 1970-01-01 is kept in full)
	// links is nil for client_credentials tokens, which have none.
	links *accessLinks
	// full, when set, is the whole token and the fields above are unused.
	full *core.AccessToken
}

// accessShared is what most tokens have in common: the issuer, the
// audience and the scope set. Shared values are never modified.
type accessShared struct {
	issuer   string
	audience []string
	scopes   []string
}

// accessLinks are what ties a token to a person, a refresh-token family or
// an authorization code.
type accessLinks struct {
	userID, familyID, authCodeID, sourceJTI string
}

// packTime returns t as Unix nanoseconds when time.Unix(0, n).UTC() gives
// back exactly t (the == of time.Time: location pointer and monotonic
// reading included).
func packTime(t time.Time) (int64, bool) {
	n := t.UnixNano()
	return n, n != 0 && time.Unix(0, n).UTC() == t
}

func unpackTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// newAccessRecord packs t, sharing its lists through in.
func newAccessRecord(t core.AccessToken, in *interner) accessRecord {
	issued, ok1 := packTime(t.IssuedAt)
	expires, ok2 := packTime(t.ExpiresAt)
	revoked, ok3 := int64(0), t.RevokedAt.IsZero()
	if !ok3 {
		revoked, ok3 = packTime(t.RevokedAt)
	}
	if !ok1 || !ok2 || !ok3 {
		full := cloneToken(t)
		return accessRecord{full: &full}
	}
	r := accessRecord{
		subject: t.Subject, clientID: t.ClientID, shared: in.shared(t.Issuer, t.Audience, t.Scopes),
		issued: issued, expires: expires, revoked: revoked,
	}
	if t.UserID != "" || t.FamilyID != "" || t.AuthCodeID != "" || t.SourceJTI != "" {
		r.links = &accessLinks{userID: t.UserID, familyID: t.FamilyID, authCodeID: t.AuthCodeID, sourceJTI: t.SourceJTI}
	}
	return r
}

// token rebuilds the saved token under jti, with lists of its own.
func (r *accessRecord) token(jti string) core.AccessToken {
	if r.full != nil {
		return cloneToken(*r.full)
	}
	t := core.AccessToken{
		JTI: jti, Issuer: r.shared.issuer, Subject: r.subject, Audience: clone(r.shared.audience), ClientID: r.clientID,
		Scopes: clone(r.shared.scopes), IssuedAt: unpackTime(r.issued), ExpiresAt: unpackTime(r.expires),
		RevokedAt: unpackTime(r.revoked),
	}
	if r.links != nil {
		t.UserID, t.FamilyID, t.AuthCodeID, t.SourceJTI = r.links.userID, r.links.familyID, r.links.authCodeID, r.links.sourceJTI
	}
	return t
}

// matches reports whether the token is unrevoked, unexpired at now and
// selected by f, without rebuilding it.
func (r *accessRecord) matches(f core.TokenFilter, now time.Time) bool {
	if r.full != nil {
		t := r.full
		return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt) && f.Match(t.ClientID, t.UserID, t.FamilyID, t.AuthCodeID, t.SourceJTI)
	}
	var l accessLinks
	if r.links != nil {
		l = *r.links
	}
	return r.revoked == 0 && now.Before(unpackTime(r.expires)) && f.Match(r.clientID, l.userID, l.familyID, l.authCodeID, l.sourceJTI)
}

func (r *accessRecord) revokedAt() time.Time {
	if r.full != nil {
		return r.full.RevokedAt
	}
	return unpackTime(r.revoked)
}

func (r *accessRecord) expiresAt() time.Time {
	if r.full != nil {
		return r.full.ExpiresAt
	}
	return unpackTime(r.expires)
}

// revoke marks the record revoked at at; a time that does not pack turns
// the record into a full one.
func (r *accessRecord) revoke(jti string, at time.Time) {
	if r.full == nil {
		if n, ok := packTime(at); ok {
			r.revoked = n
			return
		}
		full := r.token(jti)
		*r = accessRecord{full: &full}
	}
	r.full.RevokedAt = at
}
