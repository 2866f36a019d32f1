// Package porttest holds the contract tests of the ports: each Run…Tests
// function runs one table of subtests against any implementation, a fresh
// one per subtest from the factory it is given. The in-memory adapters run
// them always; the PostgreSQL and Redis adapters run them when their
// services are configured.
package porttest
