package system

import (
	"time"

	"github.com/identityd/identityd/ports"
)

// Clock is the wall clock in UTC.
type Clock struct{}

var _ ports.Clock = Clock{}

// Now implements ports.Clock.
func (Clock) Now() time.Time { return time.Now().UTC() }
