package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Environment variables read by New.
const (
	EnvRedisURL        = "TEST_REDIS_URL"
	EnvRequireServices = "REQUIRE_SERVICES"
)

// URL returns TEST_REDIS_URL, skipping the test when it is unset (or
// failing it when REQUIRE_SERVICES=1).
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvRedisURL)
	if u == "" {
		if os.Getenv(EnvRequireServices) == "1" {
			t.Fatalf("%s is not set and %s=1: Redis is required", EnvRedisURL, EnvRequireServices)
		}
		t.Skipf("%s is not set: skipping the Redis tests", EnvRedisURL)
	}
	return u
}

// New returns the Redis URL and a key prefix unique to this test; every
// key under the prefix is deleted at cleanup.
func New(t testing.TB) (url, prefix string) {
	t.Helper()
	url = URL(t)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	prefix = "test:" + sanitize(t.Name()) + ":" + hex.EncodeToString(rnd[:]) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := DeletePrefix(ctx, url, prefix); err != nil {
			t.Errorf("redistest: %v", err)
		}
	})
	return url, prefix
}

// DeletePrefix deletes every key that starts with prefix, as a flush of
// one tenant would. prefix must hold no glob characters (New's never do).
func DeletePrefix(ctx context.Context, url, prefix string) error {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("parse %s: %w", EnvRedisURL, err)
	}
	rdb := goredis.NewClient(opts)
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("scan %s*: %w", prefix, err)
	}
	for start := 0; start < len(keys); start += 1000 {
		if err := rdb.Del(ctx, keys[start:min(start+1000, len(keys))]...).Err(); err != nil {
			return fmt.Errorf("delete %s*: %w", prefix, err)
		}
	}
	return nil
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if b.Len() >= 48 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
