package core_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
)

func TestAccessTokenActiveAtAndAudience(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tok := core.AccessToken{Audience: []string{"https://id.example"}, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	assert.True(t, tok.ActiveAt(now))
	assert.False(t, tok.ActiveAt(now.Add(time.Hour)), "expired at exp")

	tok.NotBefore = now.Add(10 * time.Minute)
	assert.False(t, tok.ActiveAt(now), "before nbf")
	assert.True(t, tok.ActiveAt(now.Add(10*time.Minute-20*time.Second)), "within the clock skew of nbf")
	assert.True(t, tok.ActiveAt(now.Add(11*time.Minute)))

	assert.True(t, tok.HasAudience("https://id.example"))
	assert.False(t, tok.HasAudience("https://other.example"))
	assert.False(t, core.AccessToken{}.HasAudience(""), "no aud is meant for nobody")
}
