// Package multi runs several identityd instances on one PostgreSQL schema
// and one Redis key prefix, as a scaled-out deployment does, and shows that
// what one instance does is seen by the others at once: issued and revoked
// tokens, rotated secrets, deleted clients and rate-limit counts. It also
// holds the tests of the janitor against PostgreSQL.
//
// The tests need PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL);
// without them they skip, or fail under REQUIRE_SERVICES=1.
package multi
