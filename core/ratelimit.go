package core

import (
	"net/netip"
	"time"
)

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

// AddressKey is the form in which every per-address limit counts a client
// address: an IPv4 address as it is, an IPv6 address by its /64 prefix
// (the smallest network a site is given, RFC 6177, so one subscriber
// holds every address in it), e.g. "2001:db8:1:2::/64". IPv4-mapped IPv6
// addresses count as IPv4; a zone is dropped. A string that is not an
// address is returned unchanged.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
