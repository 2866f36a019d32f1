package redis

import (
	"context"
	"log/slog"
	"time"

	"github.com/identityd/identityd/ports"
)

// ChangeNotifier is a ports.ChangeNotifier on Redis pub/sub: one channel
// per key prefix. Notices carry no data; a lost one only delays a reader
// until its next poll of the change log.
type ChangeNotifier struct {
	c       *Client
	channel string
	logger  *slog.Logger
	pending chan struct{}
	done    chan struct{}
}

var _ ports.ChangeNotifier = (*ChangeNotifier)(nil)

// NewChangeNotifier starts the publisher; Close stops it.
func NewChangeNotifier(c *Client, logger *slog.Logger) *ChangeNotifier {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := &ChangeNotifier{c: c, channel: ChangeChannel(c.prefix), logger: logger,
		pending: make(chan struct{}, 1), done: make(chan struct{})}
	go n.publish()
	return n
}

// ChangeChannel is the pub/sub channel of the notices of the deployment
// whose key prefix is prefix. On a Redis Cluster its subscribers listen on
// the master that serves the channel name's hash slot.
func ChangeChannel(prefix string) string { return prefix + "changes:notify" }

// Notify implements ports.ChangeNotifier: notices that pile up while one
// is being sent go out as one.
func (n *ChangeNotifier) Notify() {
	select {
	case n.pending <- struct{}{}:
	default:
	}
}

// Close stops the publisher after the pending notice, if any.
func (n *ChangeNotifier) Close() {
	close(n.pending)
	<-n.done
}

// noticeGap is the least time between two notices. Readers read the log
// at most every 5 ms whatever the notices (nearcache's minPollGap), so a
// notice per change under load (a revocation per request) would cost a
// publish here and a receive on every instance for nothing; this holds
// them to 200 a second and delays a notice by at most 5 ms.
const noticeGap = 5 * time.Millisecond

func (n *ChangeNotifier) publish() {
	defer close(n.done)
	for range n.pending {
		ctx, cancel := n.c.bound(context.Background())
		if err := n.c.rdb.Publish(ctx, n.channel, "1").Err(); err != nil {
			n.logger.LogAttrs(ctx, slog.LevelDebug, "change notice not sent; other instances read the log at their next poll",
				slog.String("error", err.Error()))
		}
		cancel()
		time.Sleep(noticeGap)
	}
}

// Listen implements ports.ChangeNotifier. go-redis resubscribes after a
// lost connection; notices sent meanwhile are lost, which the readers'
// polls make up for.
func (n *ChangeNotifier) Listen(ctx context.Context, fn func()) {
	for ctx.Err() == nil {
		ps := n.c.rdb.Subscribe(ctx, n.channel)
		ch := ps.Channel()
	receive:
		for {
			select {
			case <-ctx.Done():
				break receive
			case _, ok := <-ch:
				if !ok {
					break receive
				}
				fn()
			}
		}
		_ = ps.Close()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
