package jwt_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/core"
)

func headerOf(t *testing.T, raw string) map[string]string {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	require.NoError(t, err)
	var h map[string]string
	require.NoError(t, json.Unmarshal(data, &h))
	return h
}

func TestHS256KidNamesTheSecret(t *testing.T) {
	ctx := context.Background()
	a, b := jwt.NewHMACKeyring([]byte("secret one"), nil), jwt.NewHMACKeyring([]byte("secret two"), nil)
	ta, err := a.Sign(ctx, token())
	require.NoError(t, err)
	tb, err := b.Sign(ctx, token())
	require.NoError(t, err)
	ka, kb := headerOf(t, ta)["kid"], headerOf(t, tb)["kid"]
	assert.NotEmpty(t, ka)
	assert.NotEqual(t, ka, kb, "two secrets, two kids")
	assert.NotContains(t, ka, "secret")
	assert.Equal(t, ka, headerOf(t, mustSign(t, jwt.NewHMACKeyring([]byte("secret one"), nil)))["kid"], "the kid is stable")
	assert.JSONEq(t, `{"keys":[]}`, string(a.JWKS()), "a secret is never published")
}

func mustSign(t *testing.T, r *jwt.Keyring) string {
	t.Helper()
	raw, err := r.Sign(context.Background(), token())
	require.NoError(t, err)
	return raw
}

func TestHS256PreviousSecretVerifiesOnly(t *testing.T) {
	ctx := context.Background()
	before := jwt.NewHMACKeyring([]byte("old secret"), nil)
	oldToken := mustSign(t, before)
	after := jwt.NewHMACKeyring([]byte("new secret"), []byte("old secret"))
	got, err := after.Verify(ctx, oldToken)
	require.NoError(t, err, "a token of the previous secret verifies")
	assert.Equal(t, token(), got)
	newToken := mustSign(t, after)
	assert.Equal(t, jwt.HMACKeyID([]byte("new secret")), headerOf(t, newToken)["kid"], "the previous secret never signs")

	// Without JWT_SECRET_PREVIOUS the old token is refused.
	_, err = jwt.NewHMACKeyring([]byte("new secret"), nil).Verify(ctx, oldToken)
	assert.Error(t, err)

	// The kid picks the secret: a token signed by the old secret but
	// naming the new kid fails, it is not retried with the other key.
	forged := strings.Split(oldToken, ".")
	h := headerOf(t, oldToken)
	h["kid"] = jwt.HMACKeyID([]byte("new secret"))
	hb, _ := json.Marshal(h)
	forged[0] = base64.RawURLEncoding.EncodeToString(hb)
	_, err = after.Verify(ctx, strings.Join(forged, "."))
	assert.Error(t, err)
}

// stepClock is a settable clock.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func jwksKids(t *testing.T, r *jwt.Keyring) []string {
	t.Helper()
	var set struct {
		Keys []jwt.JWK `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(r.JWKS(), &set))
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// A rotation while tokens are in use: tokens signed before it verify, new
// ones carry the new kid, and once the old tokens have expired the old key
// leaves the JWKS. Two instances share the store; the second notices the
// new key when it first sees its kid.
func TestRotationWhileTokensAreInUse(t *testing.T) {
	ctx := context.Background()
	clock := &stepClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	store := memory.NewSigningKeys()
	cfg := jwt.KeyManagerConfig{Algs: []string{jwt.ES256, jwt.EdDSA}, PublishFor: 15*time.Minute + 40*time.Second, RotationInterval: 24 * time.Hour}
	instance := func() (*jwt.Keyring, *jwt.KeyManager) {
		ring, err := jwt.NewAsymmetricKeyring(jwt.ES256, nil)
		require.NoError(t, err)
		m := jwt.NewKeyManager(cfg, store, clock, ring, nil)
		require.NoError(t, m.Refresh(ctx))
		return ring, m
	}
	a, am := instance()
	b, _ := instance()
	assert.ElementsMatch(t, jwksKids(t, a), jwksKids(t, b), "both instances publish the same keys")
	require.Len(t, jwksKids(t, a), 2, "one key per algorithm")

	oldAccess := mustSign(t, a)
	oldKid := headerOf(t, oldAccess)["kid"]
	oldID, err := a.SignIDToken(ctx, jwt.EdDSA, []byte(`{"sub":"u1"}`))
	require.NoError(t, err)

	// The rotation interval passes: instance a retires the keys and makes
	// new ones at its next refresh.
	clock.Advance(24 * time.Hour)
	require.NoError(t, am.Refresh(ctx))
	newAccess := mustSign(t, a)
	assert.NotEqual(t, oldKid, headerOf(t, newAccess)["kid"], "new tokens carry the new kid")
	assert.Len(t, jwksKids(t, a), 4, "old and new keys are published")

	// b has not refreshed yet; a token with the new kid makes it look.
	clock.Advance(2 * time.Second)
	_, err = b.Verify(ctx, newAccess)
	require.NoError(t, err, "an instance finds a key another made")
	_, err = b.Verify(ctx, oldAccess)
	require.NoError(t, err, "tokens signed before the rotation still verify")
	payload, err := b.VerifyIDToken(ctx, oldID)
	require.NoError(t, err)
	assert.JSONEq(t, `{"sub":"u1"}`, string(payload))

	// An ID token is not an access token, and the reverse.
	_, err = a.Verify(ctx, oldID)
	assert.Error(t, err)
	_, err = a.VerifyIDToken(ctx, newAccess)
	assert.Error(t, err)

	// After the lifetime of the old tokens (and the grace), the old keys
	// leave the JWKS at the next refresh.
	clock.Advance(15*time.Minute + 40*time.Second)
	require.NoError(t, am.Refresh(ctx))
	assert.NotContains(t, jwksKids(t, a), oldKid)
	assert.Len(t, jwksKids(t, a), 2)
	_, err = a.Verify(ctx, oldAccess)
	assert.Error(t, err, "a key no longer published verifies nothing")
}

func TestManualRotationThroughTheStore(t *testing.T) {
	ctx := context.Background()
	clock := &stepClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	store := memory.NewSigningKeys()
	ring, err := jwt.NewAsymmetricKeyring(jwt.EdDSA, nil)
	require.NoError(t, err)
	m := jwt.NewKeyManager(jwt.KeyManagerConfig{Algs: []string{jwt.EdDSA}, PublishFor: time.Hour}, store, clock, ring, nil)
	require.NoError(t, m.Refresh(ctx))
	before := headerOf(t, mustSign(t, ring))["kid"]
	clock.Advance(time.Minute)
	n, err := store.RetireSigningKeys(ctx, clock.Now(), clock.Now())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, m.Refresh(ctx))
	assert.NotEqual(t, before, headerOf(t, mustSign(t, ring))["kid"])
	keys, err := store.SigningKeys(ctx, clock.Now().Add(-time.Second))
	require.NoError(t, err)
	assert.Len(t, keys, 2)
	var active int
	for _, k := range keys {
		if k.Active() {
			active++
		}
	}
	assert.Equal(t, 1, active)
}

func TestUnknownKidIsRefused(t *testing.T) {
	ctx := context.Background()
	clock := &stepClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	ring, err := jwt.NewAsymmetricKeyring(jwt.ES256, nil)
	require.NoError(t, err)
	m := jwt.NewKeyManager(jwt.KeyManagerConfig{Algs: []string{jwt.ES256}, PublishFor: time.Hour}, memory.NewSigningKeys(), clock, ring, nil)
	require.NoError(t, m.Refresh(ctx))
	other, err := jwt.NewAsymmetricPEM(jwt.ES256, mustPEM(t, jwt.ES256))
	require.NoError(t, err)
	raw, err := other.Sign(ctx, token())
	require.NoError(t, err)
	_, err = ring.Verify(ctx, raw)
	var oe *core.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, core.CodeInvalidToken, oe.Code)
}

func mustPEM(t *testing.T, alg string) []byte {
	t.Helper()
	p, err := jwt.GeneratePEM(alg)
	require.NoError(t, err)
	return p
}

// JWT_SECRET_NEXT verifies what an instance already switched to it signs,
// and never signs; JWT_SECRET_PREVIOUS verifies only tokens dated at or
// before PreviousUntil (issue 24 §8).
func TestHS256NextVerifiesAndPreviousIsBounded(t *testing.T) {
	ctx := context.Background()
	tok := token()
	until := tok.IssuedAt
	r := jwt.NewHMACKeyringOf(jwt.HMACSecrets{
		Current: []byte("current secret"), Next: []byte("next secret"), Previous: []byte("old secret"),
		PreviousUntil: func() time.Time { return until },
	})
	assert.Equal(t, jwt.HMACKeyID([]byte("current secret")), headerOf(t, mustSign(t, r))["kid"], "only the current secret signs")

	fromNext := mustSign(t, jwt.NewHMACKeyring([]byte("next secret"), nil))
	_, err := r.Verify(ctx, fromNext)
	require.NoError(t, err, "a token of the next secret verifies")

	old := jwt.NewHMACKeyring([]byte("old secret"), nil)
	_, err = r.Verify(ctx, mustSign(t, old))
	require.NoError(t, err, "the previous secret verifies what is dated at the bound")
	until = tok.IssuedAt.Add(-time.Second)
	_, err = r.Verify(ctx, mustSign(t, old))
	assert.Error(t, err, "and nothing dated after it")
}
