package memory_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/ports/porttest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	porttest.RunStoreTests(t, func(*testing.T) porttest.Store { return memory.NewStore() })
}

func TestRevocationCache(t *testing.T) {
	t.Parallel()
	porttest.RunRevocationCacheTests(t, func(_ *testing.T, c ports.Clock) ports.RevocationCache { return memory.NewRevocationCache(c) })
}

func TestRateLimitStore(t *testing.T) {
	t.Parallel()
	porttest.RunRateLimitStoreTests(t, func(*testing.T) ports.RateLimitStore { return memory.NewRateLimitStore() })
}

func TestSigningKeys(t *testing.T) {
	t.Parallel()
	porttest.RunSigningKeyStoreTests(t, func(*testing.T) ports.SigningKeyStore { return memory.NewSigningKeys() })
}

func TestSecretUses(t *testing.T) {
	t.Parallel()
	porttest.RunSecretUseStoreTests(t, func(*testing.T) ports.SecretUseStore { return memory.NewSecretUses() })
}

func TestAuditLogKeepsTheLatestEvents(t *testing.T) {
	t.Parallel()
	s := memory.NewStore()
	total := memory.MaxAuditEvents + 1500
	for i := 0; i < total; i++ {
		require.NoError(t, s.RecordAudit(context.Background(), core.AuditEvent{ID: fmt.Sprint(i), Type: core.AuditTokenIssued}))
	}
	events := s.AuditEvents()
	require.LessOrEqual(t, len(events), memory.MaxAuditEvents)
	require.Greater(t, len(events), memory.MaxAuditEvents-1024)
	require.Equal(t, fmt.Sprint(total-1), events[len(events)-1].ID, "the newest is kept")
	require.Equal(t, fmt.Sprint(total-len(events)), events[0].ID, "in order, oldest dropped")
}

func TestDeviceCodes(t *testing.T) {
	t.Parallel()
	porttest.RunDeviceCodeTests(t, func(*testing.T) porttest.DeviceCodeFixture {
		return porttest.DeviceCodeFixture{Repo: memory.NewDeviceCodes(), ClientID: "c", UserID: "u"}
	})
}

func TestFactors(t *testing.T) {
	t.Parallel()
	porttest.RunFactorTests(t, func(*testing.T) porttest.FactorStore { return memory.NewStore() })
}

func TestIdentityProviders(t *testing.T) {
	t.Parallel()
	porttest.RunIdentityProviderTests(t, func(*testing.T) porttest.IdentityProviderFixture {
		var n int
		return porttest.IdentityProviderFixture{Repo: memory.NewIdentityProviders(), NewUser: func(*testing.T) string {
			n++
			return fmt.Sprintf("user-%d", n)
		}}
	})
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	porttest.RunAuditLogTests(t, func(*testing.T) porttest.AuditStore { return memory.NewStore() })
}

func TestClientNames(t *testing.T) {
	t.Parallel()
	porttest.RunClientNameTests(t, func(*testing.T) porttest.ClientNameStore { return memory.NewStore() })
}

func TestConsents(t *testing.T) {
	t.Parallel()
	porttest.RunConsentTests(t, func(*testing.T) porttest.ConsentStore { return memory.NewStore() })
}
