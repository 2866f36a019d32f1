// Package memory holds in-memory adapters for every port: the store used by
// tests and by a server started without DATABASE_URL and REDIS_URL. All of
// them are safe for concurrent use; nothing survives a restart.
package memory
