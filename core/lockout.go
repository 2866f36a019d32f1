package core

import (
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// LoginThrottle is the defence of one account against password guessing.
// Every password check counts as a failure before the password is compared
// (so parallel guesses cannot slip past the count) and a success resets the
// count. After FreeAttempts consecutive failures the next attempt must wait
// a delay that doubles from BaseDelay; from LockAfter failures on, the wait
// is a lock of LockBase that doubles up to MaxLock. A wait always ends by
// itself: attempts made while one runs are refused without being counted,
// so they do not extend it, and no wait exceeds MaxLock. A count whose last
// failure lies ForgetAfter in the past starts again from zero.
//
// The throttle keeps its state in User.FailedLogins and User.LockedUntil,
// which holds the end of the current wait (or the time of the last failure
// when there is none).
type LoginThrottle struct {
	FreeAttempts int
	BaseDelay    time.Duration
	LockAfter    int
	LockBase     time.Duration
	MaxLock      time.Duration
	ForgetAfter  time.Duration
}

// DefaultLoginThrottle is the policy identityd runs with: three free
// attempts, then waits of 1 s, 2 s, 4 s ... up to the 9th failure, then
// locks of 5, 10 and at most 15 minutes, forgotten after a quiet day.
func DefaultLoginThrottle() LoginThrottle {
	return LoginThrottle{
		FreeAttempts: 3, BaseDelay: time.Second,
		LockAfter: 10, LockBase: 5 * time.Minute, MaxLock: 15 * time.Minute,
		ForgetAfter: 24 * time.Hour,
	}
}

// Wait returns how long the account must wait before the next attempt
// after failures consecutive failures.
func (p LoginThrottle) Wait(failures int) time.Duration {
	switch {
	case failures < p.FreeAttempts || failures < 1:
		return 0
	case failures < p.LockAfter:
		return min(backoff(p.BaseDelay, failures-p.FreeAttempts), p.MaxLock)
	default:
		return min(backoff(p.LockBase, failures-p.LockAfter), p.MaxLock)
	}
}

func backoff(base time.Duration, doublings int) time.Duration {
	d := base
	for i := 0; i < doublings && d < 24*time.Hour; i++ {
		d *= 2
	}
	return d
}

// Blocked reports whether u may not try a password at now, and for how
// much longer.
func (p LoginThrottle) Blocked(u User, now time.Time) (bool, time.Duration) {
	return p.blocked(u.LockedUntil, now)
}

func (p LoginThrottle) blocked(lockedUntil, now time.Time) (bool, time.Duration) {
	if now.Before(lockedUntil) {
		return true, lockedUntil.Sub(now)
	}
	return false, 0
}

// CountAttempt returns u with one more failed attempt counted at now, or
// ErrLocked (and u unchanged) when a wait is running.
func (p LoginThrottle) CountAttempt(u User, now time.Time) (User, error) {
	b, err := p.Count(LoginBackoff{FailedLogins: u.FailedLogins, LockedUntil: u.LockedUntil}, now)
	u.FailedLogins, u.LockedUntil = b.FailedLogins, b.LockedUntil
	return u, err
}

// Count returns b with one more failed attempt counted at now, or ErrLocked
// (and b unchanged) when a wait is running.
func (p LoginThrottle) Count(b LoginBackoff, now time.Time) (LoginBackoff, error) {
	if blocked, _ := p.blocked(b.LockedUntil, now); blocked {
		return b, ErrLocked
	}
	if !b.LockedUntil.IsZero() && now.Sub(b.LockedUntil) >= p.ForgetAfter {
		b.FailedLogins = 0
	}
	b.FailedLogins++
	b.LockedUntil = now.Add(p.Wait(b.FailedLogins))
	return b, nil
}

// Succeeded returns u with its failure count cleared.
func (p LoginThrottle) Succeeded(u User) User {
	u.FailedLogins, u.LockedUntil = 0, time.Time{}
	return u
}

// LoginBackoff is the state of one throttled bucket of password attempts:
// consecutive failures and the end of the current wait (or the time of the
// last failure when there is none).
type LoginBackoff struct {
	FailedLogins int
	LockedUntil  time.Time
}

// MaxLoginDevices is how many devices of each kind (browsers by device
// cookie, addresses) an account keeps: the ones that signed in most
// recently. With the account's own bucket it bounds the password guesses
// per account and hour to 2*MaxLoginDevices+1 times what one bucket of the
// throttle lets through.
const MaxLoginDevices = 10

// LoginDevice is a browser (by its device cookie) or a network address (an
// IPv4 address, or an IPv6 /64; see AddressKey) from which an account
// signed in successfully. Each has its own LoginBackoff apart from the
// account's (OWASP's device cookies): password guesses sent from anywhere
// else lock only the account's bucket, so they cannot keep the owner out
// of a device they signed in from before.
type LoginDevice struct {
	UserID string
	// Key is DeviceCookieKey or DeviceAddressKey of the device.
	Key string
	LoginBackoff
	// LastLoginAt is the last successful sign-in from the device.
	LastLoginAt time.Time
}

// DeviceCookieKey is the key of the browser whose device cookie carries
// the identifier id (only a hash of it is stored).
func DeviceCookieKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "cookie:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// DeviceAddressKey is the key of the client address ip: its AddressKey.
func DeviceAddressKey(ip string) string { return "addr:" + AddressKey(ip) }
