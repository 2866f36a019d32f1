package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/adapters/redis"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/ports/porttest"
)

func BenchmarkCachedClientsGetClient(b *testing.B) {
	c, _, _ := open(b)
	ctx := context.Background()
	repo := memory.NewStore()
	now := time.Now().UTC()
	cl := core.Client{
		ID: "svc", Name: "Service", SecretHash: "hash", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{core.GrantClientCredentials, core.GrantAuthorizationCode}, Scopes: core.ManagementScopes(),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := repo.CreateClient(ctx, cl); err != nil {
		b.Fatal(err)
	}
	cached := redis.NewCachedClients(repo, redis.NewClientCache(c, 0), time.Minute)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := cached.GetClient(ctx, "svc"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkIsRevoked(b *testing.B) {
	c, _, _ := open(b)
	ctx := context.Background()
	clock := porttest.NewFakeClock(time.Now())
	caches := []struct {
		name  string
		cache ports.RevocationCache
	}{
		{"RevocationCache", redis.NewRevocationCache(c, clock)},
		{"DurableRevocations", redis.NewDurableRevocations(c, memory.NewStore(), clock)},
	}
	for _, bc := range caches {
		b.Run(bc.name, func(b *testing.B) {
			if err := bc.cache.RevokeJTI(ctx, "revoked", clock.Now().Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					jti := "revoked"
					if i%2 == 1 {
						jti = "live"
					}
					i++
					if _, err := bc.cache.IsRevoked(ctx, jti); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkRateLimitAllow(b *testing.B) {
	c, _, _ := open(b)
	s := redis.NewRateLimitStore(c)
	ctx := context.Background()
	l := core.RateLimit{Limit: 1000, Window: time.Hour}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, err := s.Allow(ctx, fmt.Sprintf("ip-%d", i%512), l, time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
