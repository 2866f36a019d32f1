package memory_test

import (
	"testing"

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

func TestClientCache(t *testing.T) {
	t.Parallel()
	porttest.RunClientCacheTests(t, func(_ *testing.T, c ports.Clock) ports.ClientCache { return memory.NewClientCache(c) })
}

func TestRateLimitStore(t *testing.T) {
	t.Parallel()
	porttest.RunRateLimitStoreTests(t, func(*testing.T) ports.RateLimitStore { return memory.NewRateLimitStore() })
}

func TestSigningKeys(t *testing.T) {
	t.Parallel()
	porttest.RunSigningKeyStoreTests(t, func(*testing.T) ports.SigningKeyStore { return memory.NewSigningKeys() })
}
