// Package ports declares the interfaces the domain needs from the outside
// world: repositories, caches, token signing, hashing, time, randomness and
// mail. Adapters implement them; package porttest holds the contract tests
// every implementation runs.
//
// Repository methods take ctx first, return core.ErrNotFound and
// core.ErrAlreadyExists for the two storage outcomes callers act on, and
// core.ErrUnavailable (wrapped) when the backing service does not answer.
// Changes to one-time and rotating things go through atomic Update-style
// methods, never read-then-write in a service. The function given to an
// Update-style method runs while the adapter holds its lock or transaction:
// it must not call back into a store.
package ports
