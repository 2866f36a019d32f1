package memory

import "encoding/hex"

// uuid is the 16 bytes of an id in the canonical lowercase UUID form
// (8-4-4-4-12 hex digits), which ports.Random.NewID makes for every access
// token and audit event: 16 bytes instead of a 36-byte string in a 48-byte
// allocation.
type uuid [16]byte

// parseUUID returns s's bytes when formatting them gives back exactly s.
func parseUUID(s string) (uuid, bool) {
	var u uuid
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		hi, ok1 := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return u, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func (u uuid) String() string {
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:], u[10:])
	return string(out[:])
}

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
