package system_test

import (
	"encoding/base64"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/system"
)

func TestRandom(t *testing.T) {
	var r system.Random
	id := r.NewID()
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), id)
	assert.NotEqual(t, id, r.NewID())
	tok := r.NewToken()
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	require.NoError(t, err)
	assert.Len(t, raw, 32, "256 bits")
	assert.NotEqual(t, tok, r.NewToken())
}

// Token ids are UUIDv7: version 7, and later ones sort after earlier ones
// (the millisecond prefix; within one the random rest may not order).
func TestTimeIDsSortByCreation(t *testing.T) {
	var r system.Random
	first := r.NewTimeID()
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), first)
	time.Sleep(2 * time.Millisecond)
	second := r.NewTimeID()
	assert.Less(t, first, second)
}
