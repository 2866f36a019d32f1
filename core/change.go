package core

import "time"

// Kinds of Change.
const (
	// ChangeTokenRevoked: the access token whose jti is Key was revoked;
	// Until is its exp.
	ChangeTokenRevoked = "token.revoked"
	// ChangeClient: the client whose id is Key was created, changed
	// (secret, scopes, any field) or deleted.
	ChangeClient = "client.changed"
)

// Change is one entry of the change log that every instance's in-process
// caches follow. IDs grow with each change but may become visible out of
// order.
type Change struct {
	ID    int64
	Kind  string
	Key   string
	Until time.Time
}
