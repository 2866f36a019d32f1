package memory

import "encoding/binary"

// maxInterned bounds the interner: past it, each record gets a copy of its
// own, so unusual scope combinations cannot grow the table without end.
const maxInterned = 4096

// interner shares the issuer, audience and scope set of access-token
// records between the records that have the same. Shared values are never
// modified; readers copy the lists out. It is used under the store's
// access-token lock.
type interner struct {
	values map[string]*accessShared
}

func newInterner() *interner { return &interner{values: map[string]*accessShared{}} }

// appendList encodes a list so that nil, empty and every different list
// give different keys: a presence byte, then each element's length and
// bytes.
func appendList(key []byte, v []string) []byte {
	if v == nil {
		return append(key, 0)
	}
	key = append(key, 1)
	key = binary.AppendUvarint(key, uint64(len(v)))
	for _, s := range v {
		key = binary.AppendUvarint(key, uint64(len(s)))
		key = append(key, s...)
	}
	return key
}

// shared returns the shared value for issuer, audience and scopes.
func (in *interner) shared(issuer string, audience, scopes []string) *accessShared {
	// The key is built on the stack for the usual short values; a lookup
	// with string(key) does not allocate.
	var buf [256]byte
	key := binary.AppendUvarint(buf[:0], uint64(len(issuer)))
	key = append(key, issuer...)
	key = appendList(key, audience)
	key = appendList(key, scopes)
	if v, ok := in.values[string(key)]; ok {
		return v
	}
	v := &accessShared{issuer: issuer, audience: clone(audience), scopes: clone(scopes)}
	if len(in.values) < maxInterned {
		in.values[string(key)] = v
	}
	return v
}
