package jwt_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/adapters/memory"
)

type fixedClock struct{ now time.Time }

func (c *fixedClock) Now() time.Time { return c.now }

// The previous secret's bound is this instance's start, or the last use
// another instance recorded plus the marking and reading intervals and the
// clock skew, whichever is later.
func TestSecretWatchUntil(t *testing.T) {
	ctx := context.Background()
	store := memory.NewSecretUses()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fixedClock{now: t0}

	old := jwt.NewSecretWatch(store, clock, nil, []string{"hs-old"}, "")
	require.NoError(t, old.Mark(ctx))
	switched := jwt.NewSecretWatch(store, clock, nil, []string{"hs-new"}, "hs-old")
	assert.True(t, switched.Until().Equal(t0), "before reading: the start")

	clock.now = t0.Add(5 * time.Minute)
	require.NoError(t, old.Mark(ctx), "the old instance still runs and marks")
	require.NoError(t, switched.Read(ctx))
	assert.True(t, switched.Until().Equal(t0.Add(5*time.Minute+jwt.MarkEvery+jwt.ReadEvery+30*time.Second)), "got %s", switched.Until())

	none := jwt.NewSecretWatch(store, clock, nil, []string{"hs-new"}, "hs-never-used")
	require.NoError(t, none.Read(ctx))
	assert.True(t, none.Until().Equal(clock.now), "a secret no instance marked: the start")
}
