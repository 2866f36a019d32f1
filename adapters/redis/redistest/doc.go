// Package redistest gives tests a Redis key prefix of their own: New
// returns TEST_REDIS_URL and a fresh prefix whose keys are deleted when the
// test ends. Without TEST_REDIS_URL the test is skipped, unless
// REQUIRE_SERVICES=1, in which case it fails.
package redistest
