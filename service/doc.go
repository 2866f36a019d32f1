// Package service holds the application services: the use cases that
// combine the domain rules of core with the ports — issuing, validating and
// revoking tokens, authenticating clients, and managing clients and scopes.
// Transports (HTTP) and grant modules call these; they know no transport.
package service
