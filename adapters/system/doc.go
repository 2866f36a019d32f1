// Package system adapts the operating system: the wall clock and the
// cryptographic random source.
package system
