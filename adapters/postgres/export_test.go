package postgres

// Translate exposes the driver-error translation to the black-box tests.
var Translate = translate

// RoundTrips is how many message batches the pool has sent to the server.
func (d *DB) RoundTrips() int64 { return d.conns.writes.Load() }
