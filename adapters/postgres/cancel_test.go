package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/core"
)

// Many rotations of one chain of refresh tokens at once, most of their
// callers giving up after a random moment (a client hanging up): a call
// either does all of its work or none, fails with nothing but its own
// context's end or the reuse it met, and the chain never forks.
func TestRotationsUnderCancellation(t *testing.T) {
	t.Parallel()
	s, db := newStore(t, postgres.StoreOptions{})
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, s.CreateClient(ctx, core.Client{ID: "cancel-client", Name: "c", SecretHash: "h",
		GrantTypes: []string{core.GrantRefreshToken}, CreatedAt: now, UpdatedAt: now}))
	require.NoError(t, s.CreateRefreshToken(ctx, core.RefreshToken{Hash: "chain", FamilyID: "fam", ClientID: "cancel-client",
		Scopes: []string{"a"}, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))

	var (
		mu   sync.Mutex
		head = "chain"
		seq  int
		wins int
	)
	const workers, rounds = 12, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				mu.Lock()
				hash := head
				seq++
				next := fmt.Sprintf("%s.%d", hash, seq)
				mu.Unlock()
				// Two callers in three hang up within 4 ms.
				deadline := time.Now().Add(time.Hour)
				if rand.IntN(3) > 0 {
					deadline = time.Now().Add(time.Duration(rand.IntN(4000)) * time.Microsecond)
				}
				cctx, cancel := context.WithDeadline(ctx, deadline)
				_, err := s.RotateRefreshToken(cctx, hash, func(old core.RefreshToken) (core.RefreshToken, error) {
					if err := old.CheckRefresh("cancel-client", now, 0); err != nil {
						return core.RefreshToken{}, err
					}
					n := old
					n.Hash, n.IssuedAt, n.RotatedAt = next, now.Add(time.Second), time.Time{}
					return n, nil
				})
				// A dial cut by the deadline can return a moment before
				// the context says it ended.
				ended := cctx.Err() != nil || !time.Now().Before(deadline)
				cancel()
				switch {
				case err == nil:
					mu.Lock()
					wins++
					if len(next) > len(head) {
						head = next
					}
					mu.Unlock()
				case errors.Is(err, core.ErrRefreshReused):
				case ended && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, core.ErrUnavailable)):
				default:
					t.Errorf("rotation failed with %v (context ended: %v)", err, ended)
				}
			}
		})
	}
	wg.Wait()
	require.Positive(t, wins)

	// Every token that is marked rotated has exactly one successor, and
	// every successor's parent is marked rotated.
	var forks, orphans, unmarked int
	require.NoError(t, db.SQL().QueryRowContext(ctx, `WITH t AS (
			SELECT hash, rotated_at, CASE WHEN hash LIKE '%.%' THEN regexp_replace(hash, '\.[0-9]+$', '') END AS parent
			FROM refresh_tokens WHERE family_id = 'fam')
		SELECT
			(SELECT count(*) FROM (SELECT parent FROM t WHERE parent IS NOT NULL GROUP BY parent HAVING count(*) > 1) f),
			(SELECT count(*) FROM t c JOIN t p ON p.hash = c.parent WHERE p.rotated_at IS NULL),
			(SELECT count(*) FROM t p WHERE p.rotated_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM t c WHERE c.parent = p.hash))`).
		Scan(&forks, &orphans, &unmarked))
	assert.Zero(t, forks, "a token with two successors")
	assert.Zero(t, orphans, "a successor whose parent is not rotated")
	assert.Zero(t, unmarked, "a rotated token without a successor")
}
