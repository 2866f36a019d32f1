// Package apptest starts the whole identityd application in-process on a
// free loopback port for tests: the same fx graph as the binary, with a
// clock tests can move and logs captured for inspection.
package apptest
