// Command floor is the bare net/http server the benchmark compares
// identityd with: it answers a form POST with a fixed JSON body, doing only
// what any Go HTTP server must (read the request, parse the form, write the
// response), so its throughput is the best this machine can do over
// loopback with the same load generator.
package main
