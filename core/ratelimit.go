package core

import "time"

// RateLimit is a threshold: Limit requests per Window.
type RateLimit struct {
	Limit  int
	Window time.Duration
}

// RateLimitResult is the outcome of counting one request.
type RateLimitResult struct {
	Allowed   bool
	Limit     int
	Remaining int
	// Reset is how long until the whole limit is available again: the end
	// of a fixed window, or for GCRA the time until the bucket is empty.
	// When a request is refused it is at least the time until the next one
	// is allowed.
	Reset time.Duration
}
