// Package outage cuts identityd off from PostgreSQL or Redis while it
// serves and shows what the contract promises: requests that need the
// missing dependency answer 503 with the contract's error shape and no
// internals, never 500 and never a hang; /readyz answers 503; and service
// resumes by itself once the dependency is back.
//
// Proxy is the cut: a TCP forwarder on a loopback port that the server's
// DATABASE_URL or REDIS_URL points at. The tests need PostgreSQL and Redis
// (TEST_DATABASE_URL, TEST_REDIS_URL); without them they skip, or fail
// under REQUIRE_SERVICES=1.
package outage
