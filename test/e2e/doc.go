// Package e2e runs the real identityd binary and talks HTTP to it,
// including through golang.org/x/oauth2 as a client would. Binary builds
// the binary once per test run; Start runs it with a configuration and
// stops it with SIGTERM when the test ends.
package e2e
