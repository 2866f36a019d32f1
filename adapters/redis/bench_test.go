package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/identityd/identityd/adapters/redis"
	"github.com/identityd/identityd/core"
)

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
