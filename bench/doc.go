// Package bench is the performance suite of identityd: the load driver
// (bench/cmd/bench) that runs the real binary under wrk, the bare net/http
// floor server it compares against (bench/floor), the wrk scripts
// (bench/lua), the published results (bench/results), and in-process
// micro-benchmarks of the hot paths (hotpath_test.go).
package bench
