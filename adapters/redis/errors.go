package redis

import (
	"context"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/identityd/identityd/core"
)

// translate maps a go-redis error to the core sentinels, keeping the
// original in the chain. what says what was being done.
func translate(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	if sentinel := classify(ctx, err); sentinel != nil {
		return fmt.Errorf("%s: %w: %w", what, sentinel, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func classify(ctx context.Context, err error) error {
	if errors.Is(err, goredis.Nil) {
		return core.ErrNotFound
	}
	switch {
	case goredis.IsLoadingError(err), goredis.IsReadOnlyError(err), goredis.IsMasterDownError(err),
		goredis.IsClusterDownError(err), goredis.IsTryAgainError(err), goredis.IsMaxClientsError(err),
		// Full under maxmemory-policy noeviction: writes fail until keys
		// expire; the caller should retry, as with any outage.
		goredis.IsOOMError(err), goredis.IsNoReplicasError(err):
		return core.ErrUnavailable
	}
	var replyErr goredis.Error
	if errors.As(err, &replyErr) {
		// Redis answered with an error: it is up, the command was wrong.
		return nil
	}
	if errors.Is(err, context.Canceled) && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// The caller went away; Redis may be fine.
		return nil
	}
	// Dial and socket errors, timeouts, pool timeouts, a closed client.
	return core.ErrUnavailable
}
