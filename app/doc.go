// Package app wires identityd together with fx: the configuration, the
// adapters it selects (in memory, or PostgreSQL and Redis), the services,
// the grant modules, and the HTTP server's lifecycle.
package app
