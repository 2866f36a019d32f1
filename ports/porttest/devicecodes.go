package porttest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// DeviceCodeFixture is a device-code repository with a client and a user
// that exist, for a store that checks references.
type DeviceCodeFixture struct {
	Repo     ports.DeviceCodeRepository
	ClientID string
	UserID   string
}

// NewDeviceCodeFixture makes the client and user a device authorization
// refers to in s.
func NewDeviceCodeFixture(t *testing.T, s interface {
	ports.DeviceCodeRepository
	ports.ClientRepository
	ports.UserRepository
}) DeviceCodeFixture {
	t.Helper()
	c := newClient(uniq("c"))
	require.NoError(t, s.CreateClient(context.Background(), c))
	u := newUser(uniq("u") + "@example.com")
	require.NoError(t, s.CreateUser(context.Background(), u))
	return DeviceCodeFixture{Repo: s, ClientID: c.ID, UserID: u.ID}
}

func newDevice(clientID string) core.DeviceCode {
	return core.DeviceCode{
		Hash: uniq("device"), UserCodeHash: uniq("user-code"), ClientID: clientID, Scopes: []string{"a", "b"},
		IssuedAt: base, ExpiresAt: base.Add(10 * time.Minute), Interval: 5 * time.Second, Status: core.DevicePending,
	}
}

// RunDeviceCodeTests runs the contract of ports.DeviceCodeRepository
// against repositories made by newFixture, a fresh one per subtest.
func RunDeviceCodeTests(t *testing.T, newFixture func(t *testing.T) DeviceCodeFixture) {
	t.Helper()
	ctx := context.Background()
	setup := func(t *testing.T) (DeviceCodeFixture, core.DeviceCode) {
		f := newFixture(t)
		d := newDevice(f.ClientID)
		require.NoError(t, f.Repo.CreateDeviceCode(ctx, d))
		return f, d
	}
	t.Run("create twice", func(t *testing.T) {
		f, d := setup(t)
		assert.ErrorIs(t, f.Repo.CreateDeviceCode(ctx, d), core.ErrAlreadyExists)
		other := newDevice(f.ClientID)
		other.UserCodeHash = d.UserCodeHash
		assert.ErrorIs(t, f.Repo.CreateDeviceCode(ctx, other), core.ErrAlreadyExists, "user codes are unique")
	})
	t.Run("approve by user code, redeem by device code", func(t *testing.T) {
		f, d := setup(t)
		got, err := f.Repo.UpdateDeviceCodeByUserCode(ctx, d.UserCodeHash, func(old core.DeviceCode) (core.DeviceCode, error) {
			assert.Equal(t, []string{"a", "b"}, old.Scopes)
			assert.Equal(t, 5*time.Second, old.Interval)
			assert.True(t, old.LastPolledAt.IsZero())
			old.Status, old.UserID, old.Scopes = core.DeviceApproved, f.UserID, []string{"a"}
			return old, nil
		})
		require.NoError(t, err)
		assert.Equal(t, core.DeviceApproved, got.Status)
		polled := base.Add(time.Minute)
		got, err = f.Repo.UpdateDeviceCode(ctx, d.Hash, func(old core.DeviceCode) (core.DeviceCode, error) {
			assert.Equal(t, f.UserID, old.UserID)
			assert.Equal(t, []string{"a"}, old.Scopes)
			old.Status, old.LastPolledAt, old.Interval = core.DeviceRedeemed, polled, 10*time.Second
			return old, nil
		})
		require.NoError(t, err)
		assert.Equal(t, core.DeviceRedeemed, got.Status)
		assert.True(t, got.LastPolledAt.Equal(polled))
		assert.Equal(t, 10*time.Second, got.Interval)
		assert.Equal(t, d.UserCodeHash, got.UserCodeHash)
	})
	t.Run("a failing update changes nothing", func(t *testing.T) {
		f, d := setup(t)
		_, err := f.Repo.UpdateDeviceCode(ctx, d.Hash, func(old core.DeviceCode) (core.DeviceCode, error) {
			old.Status = core.DeviceDenied
			return old, core.ErrConflict
		})
		assert.ErrorIs(t, err, core.ErrConflict)
		got, err := f.Repo.UpdateDeviceCode(ctx, d.Hash, func(old core.DeviceCode) (core.DeviceCode, error) { return old, nil })
		require.NoError(t, err)
		assert.Equal(t, core.DevicePending, got.Status)
	})
	t.Run("missing", func(t *testing.T) {
		f := newFixture(t)
		same := func(old core.DeviceCode) (core.DeviceCode, error) { return old, nil }
		_, err := f.Repo.UpdateDeviceCode(ctx, "missing", same)
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = f.Repo.UpdateDeviceCodeByUserCode(ctx, "missing", same)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("concurrent redemptions: exactly one wins", func(t *testing.T) {
		f, d := setup(t)
		_, err := f.Repo.UpdateDeviceCode(ctx, d.Hash, func(old core.DeviceCode) (core.DeviceCode, error) {
			old.Status, old.UserID = core.DeviceApproved, f.UserID
			return old, nil
		})
		require.NoError(t, err)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.Repo.UpdateDeviceCode(ctx, d.Hash, func(old core.DeviceCode) (core.DeviceCode, error) {
					if old.Status != core.DeviceApproved {
						return old, core.ErrConflict
					}
					old.Status = core.DeviceRedeemed
					return old, nil
				})
				if err == nil {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
	})
}
