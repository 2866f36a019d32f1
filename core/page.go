package core

// Page asks for at most Limit items whose id sorts after After.
type Page struct {
	After string
	Limit int
}

// Page limits.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)
