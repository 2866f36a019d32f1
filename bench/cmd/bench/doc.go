// Command bench is the load benchmark of identityd: it builds the real
// binary and the bare floor server, starts them on loopback, prepares data
// through the HTTP API, drives each scenario with wrk for a fixed time at a
// fixed concurrency, reads the server's CPU time and memory from /proc, and
// writes a Markdown table to bench/results.
//
// Run it with `make bench` (which checks that wrk is installed). Settings
// come from the environment: BENCH_DURATION, BENCH_WARMUP,
// BENCH_CONNECTIONS, BENCH_BIG_CONNECTIONS, BENCH_THREADS,
// BENCH_BCRYPT_COST, BENCH_SCENARIOS (comma-separated names to run),
// BENCH_RESULTS (the output folder), and BENCH_DATABASE_URL with
// BENCH_REDIS_URL for the PostgreSQL + Redis configuration.
package main
