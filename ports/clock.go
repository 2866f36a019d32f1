package ports

import "time"

// Clock tells the time. Everything that depends on time asks it.
type Clock interface {
	Now() time.Time
}
