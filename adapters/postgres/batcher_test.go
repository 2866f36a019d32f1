package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/core"
)

var jtiSeq atomic.Int64

func accessToken(jti string) core.AccessToken {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return core.AccessToken{
		JTI: jti, Issuer: "http://localhost", Subject: "svc", Audience: []string{"http://localhost"},
		ClientID: "svc", Scopes: []string{"a"}, IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute),
	}
}

func newJTI() string { return fmt.Sprintf("jti-%d-%d", time.Now().UnixNano(), jtiSeq.Add(1)) }

func TestGroupCommitGivesEachCallerItsOutcome(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, postgres.StoreOptions{BatchMaxRows: 32, BatchMaxDelay: 5 * time.Millisecond})
	ctx := context.Background()
	existing := accessToken(newJTI())
	require.NoError(t, s.SaveAccessToken(ctx, existing))
	dupInBatch := newJTI()

	const n = 200
	errs := make([]error, n)
	jtis := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		switch {
		case i%50 == 0:
			jtis[i] = existing.JTI // already stored
		case i%50 == 1:
			jtis[i] = dupInBatch // several callers race on one new jti
		default:
			jtis[i] = newJTI()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.SaveAccessToken(ctx, accessToken(jtis[i]))
		}()
	}
	wg.Wait()
	dupWins := 0
	for i, err := range errs {
		switch {
		case jtis[i] == existing.JTI:
			assert.ErrorIs(t, err, core.ErrAlreadyExists)
		case jtis[i] == dupInBatch:
			if err == nil {
				dupWins++
			} else {
				assert.ErrorIs(t, err, core.ErrAlreadyExists)
			}
		default:
			if assert.NoError(t, err) {
				_, err := s.GetAccessToken(ctx, jtis[i])
				assert.NoError(t, err, "a saved token is durable when Save returns")
			}
		}
	}
	assert.Equal(t, 1, dupWins, "exactly one caller stores a contested jti")
}

func TestGroupCommitBadRowFailsAlone(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, postgres.StoreOptions{BatchMaxRows: 64, BatchMaxDelay: 20 * time.Millisecond})
	ctx := context.Background()
	bad := accessToken(newJTI())
	bad.ExpiresAt = bad.IssuedAt // breaks chk_access_tokens_expires_at
	var wg sync.WaitGroup
	var badErr error
	goodErrs := make([]error, 10)
	wg.Add(1)
	go func() { defer wg.Done(); badErr = s.SaveAccessToken(ctx, bad) }()
	for i := range goodErrs {
		wg.Add(1)
		go func() { defer wg.Done(); goodErrs[i] = s.SaveAccessToken(ctx, accessToken(newJTI())) }()
	}
	wg.Wait()
	assert.Error(t, badErr)
	for _, err := range goodErrs {
		assert.NoError(t, err)
	}
}

func TestCloseDrainsThenRefuses(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Options{URL: dsn})
	require.NoError(t, err)
	defer db.Close()
	s := postgres.NewStore(db, postgres.StoreOptions{BatchMaxDelay: 50 * time.Millisecond})
	var wg sync.WaitGroup
	jtis := make([]string, 20)
	errs := make([]error, len(jtis))
	for i := range jtis {
		jtis[i] = newJTI()
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.SaveAccessToken(ctx, accessToken(jtis[i])) }()
	}
	wg.Wait()
	require.NoError(t, s.Close())
	for i, err := range errs {
		require.NoError(t, err)
		_, err := s.GetAccessToken(ctx, jtis[i])
		assert.NoError(t, err)
	}
	assert.ErrorIs(t, s.SaveAccessToken(ctx, accessToken(newJTI())), core.ErrUnavailable)
	assert.NoError(t, s.Close(), "closing twice is fine")
}

func TestStoreUnavailableWhenTimedOut(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, postgres.StoreOptions{})
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := s.GetClient(ctx, "anything")
	assert.ErrorIs(t, err, core.ErrUnavailable)
}

// BenchmarkSaveAccessToken compares group commit with one INSERT per call,
// for a lone caller (latency) and for 32 concurrent callers per CPU pair
// (throughput: ns/op is wall time per saved token).
func BenchmarkSaveAccessToken(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts postgres.StoreOptions
	}{
		{"group_commit", postgres.StoreOptions{}},
		{"one_insert_per_call", postgres.StoreOptions{BatchMaxRows: 1}},
	} {
		b.Run(bc.name+"/one_caller", func(b *testing.B) {
			s, _ := newStore(b, bc.opts)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.SaveAccessToken(ctx, accessToken(newJTI())); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/concurrent", func(b *testing.B) {
			s, _ := newStore(b, bc.opts)
			ctx := context.Background()
			b.SetParallelism(16) // 16 callers per GOMAXPROCS, like a busy token endpoint
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.SaveAccessToken(ctx, accessToken(newJTI())); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// A batch goes out as one array literal per column: values that array
// syntax gives a meaning to come back as they went in.
func TestGroupCommitKeepsAwkwardValues(t *testing.T) {
	t.Parallel()
	s, db := newStore(t, postgres.StoreOptions{BatchMaxRows: 8})
	ctx := context.Background()
	awkward := []string{`a"b`, `back\slash`, `{x,y}`, `NULL`, `with space, comma`, `ünïcødé`, `'quote'`}
	tokens := []core.AccessToken{accessToken(newJTI()), accessToken(newJTI()), accessToken(newJTI())}
	tokens[0].Audience, tokens[0].Scopes = awkward, []string{}
	tokens[0].UserID, tokens[0].FamilyID, tokens[0].AuthCodeID = `NULL`, `fam"1`, `code\1`
	tokens[0].RevokedAt = tokens[0].IssuedAt.Add(time.Second)
	tokens[1].Audience, tokens[1].Scopes = []string{""}, nil
	tokens[2].Subject, tokens[2].Issuer = `{"sub"}`, ``
	var wg sync.WaitGroup
	for _, tok := range tokens {
		wg.Go(func() { assert.NoError(t, s.SaveAccessToken(ctx, tok)) })
	}
	wg.Wait()
	for _, want := range tokens {
		got, err := s.GetAccessToken(ctx, want.JTI)
		require.NoError(t, err)
		if want.Scopes == nil {
			assert.Nil(t, got.Scopes)
		}
		assert.Equal(t, want, got)
	}

	now := time.Now().UTC().Truncate(time.Microsecond)
	require.NoError(t, s.CreateClient(ctx, core.Client{ID: "awkward-client", Name: "c", SecretHash: "h",
		GrantTypes: []string{core.GrantRefreshToken}, CreatedAt: now, UpdatedAt: now}))
	refresh := []core.RefreshToken{
		{Hash: `h"1\`, FamilyID: `{fam}`, ClientID: "awkward-client", Scopes: awkward, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
			AuthCodeID: "NULL", AuthTime: now.Add(-time.Minute)},
		{Hash: "h2", FamilyID: "f", ClientID: "awkward-client", Scopes: nil, IssuedAt: now, ExpiresAt: now.Add(time.Hour)},
		{Hash: "h3", FamilyID: "f", ClientID: "awkward-client", Scopes: []string{}, IssuedAt: now, ExpiresAt: now.Add(time.Hour)},
	}
	for _, rt := range refresh {
		wg.Go(func() { assert.NoError(t, s.CreateRefreshToken(ctx, rt)) })
	}
	wg.Wait()
	for _, want := range refresh {
		got, err := s.GetRefreshToken(ctx, want.Hash)
		require.NoError(t, err)
		if want.Scopes == nil {
			assert.Nil(t, got.Scopes)
		}
		assert.Equal(t, want, got)
	}

	events := []core.AuditEvent{
		{ID: newJTI(), Type: "t", Detail: `say "hi" \ {a,b} NULL`, UserAgent: `Mozilla/5.0 (X11; "x")`, Success: true, CreatedAt: time.Now().UTC()},
		{ID: newJTI(), Type: "t", Detail: "", CreatedAt: time.Now().UTC()},
	}
	require.NoError(t, s.RecordAudits(ctx, events))
	for _, e := range events {
		var detail, agent string
		var success bool
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT detail, user_agent, success FROM audit_events WHERE id = $1`, e.ID).
			Scan(&detail, &agent, &success))
		assert.Equal(t, []any{e.Detail, e.UserAgent, e.Success}, []any{detail, agent, success})
	}
}
