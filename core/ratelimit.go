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
	// Reset is how long until the window frees capacity again.
	Reset time.Duration
}
