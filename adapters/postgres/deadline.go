package postgres

import (
	"context"
	"net"
	"sync/atomic"
	"time"
)

// deadlines holds the I/O bound of every connection of one pool, so that
// Migrate can lift it for the pool at once.
type deadlines struct {
	timeout atomic.Int64 // a time.Duration; 0: no bound
	// writes counts the writes to every connection of the pool: the driver
	// sends each message batch in one write and waits for the answer, so
	// it is the number of round trips to the server.
	writes atomic.Int64
}

// lift removes the bound until the returned func restores it.
func (d *deadlines) lift() (restore func()) {
	old := d.timeout.Swap(0)
	return func() { d.timeout.Store(old) }
}

// deadlineDialer dials like lib/pq's default dialer and hands out
// connections whose reads and writes each end by the pool's I/O bound.
type deadlineDialer struct {
	conns *deadlines
}

// Dial implements pq.Dialer.
func (d deadlineDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialTimeout implements pq.Dialer.
func (d deadlineDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

// DialContext implements pq.DialerContext.
func (d deadlineDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &deadlineConn{Conn: c, conns: d.conns}, nil
}

// deadlineConn sets a fresh deadline before each read and write. A healthy
// server answers within the query timeout, or its answer to the driver's
// cancel request arrives; a read that waits longer waits for a network
// that lost the packets, and fails rather than hang the caller.
type deadlineConn struct {
	net.Conn
	conns *deadlines
	armed atomic.Bool // a deadline of ours is set
}

// Read implements net.Conn.
func (c *deadlineConn) Read(p []byte) (int, error) {
	if err := c.arm(c.Conn.SetReadDeadline); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// Write implements net.Conn.
func (c *deadlineConn) Write(p []byte) (int, error) {
	c.conns.writes.Add(1)
	if err := c.arm(c.Conn.SetWriteDeadline); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// arm sets the deadline of the next operation, or clears ours while the
// bound is lifted.
func (c *deadlineConn) arm(set func(time.Time) error) error {
	t := time.Duration(c.conns.timeout.Load())
	switch {
	case t > 0:
		c.armed.Store(true)
		return set(time.Now().Add(t))
	case c.armed.Load():
		return set(time.Time{})
	}
	return nil
}
