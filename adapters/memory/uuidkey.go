package memory

import guuid "github.com/google/uuid"

// uuid is the 16 bytes of an id in the canonical lowercase UUID form
// (8-4-4-4-12 hex digits), which ports.Random.NewID makes for every access
// token and audit event: 16 bytes instead of a 36-byte string in a 48-byte
// allocation.
type uuid guuid.UUID

// parseUUID returns s's bytes when formatting them gives back exactly s:
// 36 characters, lowercase.
func parseUUID(s string) (uuid, bool) {
	if len(s) != 36 {
		return uuid{}, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'F' {
			return uuid{}, false
		}
	}
	u, err := guuid.Parse(s)
	return uuid(u), err == nil
}

func (u uuid) String() string { return guuid.UUID(u).String() }

// tokenTable maps jtis to records: canonical UUIDs by their 16 bytes, any
// other jti by the string.
type tokenTable struct {
	byUUID  map[uuid]accessRecord
	byOther map[string]accessRecord
}

func newTokenTable() tokenTable {
	return tokenTable{byUUID: map[uuid]accessRecord{}, byOther: map[string]accessRecord{}}
}

func (t tokenTable) get(jti string) (accessRecord, bool) {
	if u, ok := parseUUID(jti); ok {
		r, ok := t.byUUID[u]
		return r, ok
	}
	r, ok := t.byOther[jti]
	return r, ok
}

func (t tokenTable) put(jti string, r accessRecord) {
	if u, ok := parseUUID(jti); ok {
		t.byUUID[u] = r
		return
	}
	t.byOther[jti] = r
}

// tokenKey is a jti as the table keeps it; jti formats it only when asked.
type tokenKey struct {
	u      uuid
	s      string
	isUUID bool
}

func (k tokenKey) jti() string {
	if k.isUUID {
		return k.u.String()
	}
	return k.s
}

// each calls fn for every record; fn may change the record (changed) or
// ask for it to be deleted (drop).
func (t tokenTable) each(fn func(k tokenKey, r *accessRecord) (changed, drop bool)) {
	for u, r := range t.byUUID {
		changed, drop := fn(tokenKey{u: u, isUUID: true}, &r)
		switch {
		case drop:
			delete(t.byUUID, u)
		case changed:
			t.byUUID[u] = r
		}
	}
	for jti, r := range t.byOther {
		changed, drop := fn(tokenKey{s: jti}, &r)
		switch {
		case drop:
			delete(t.byOther, jti)
		case changed:
			t.byOther[jti] = r
		}
	}
}
