// Package openapitest checks an HTTP conversation against the OpenAPI
// document in package api, for end-to-end tests.
//
// Wrap the transport of the test's HTTP client:
//
//	v := openapitest.New(t).Only(srv.URL)
//	client := &http.Client{
//		Transport: v.RoundTripper(http.DefaultTransport),
//		// Stop at redirects to see (and validate) each one.
//		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
//	}
//	// ... exercise the server ...
//	t.Log(v.Coverage())
//
// Every response is validated against the operation that kin-openapi's router
// finds for the request: its status must be documented, required headers
// present and the body must match the schema. A failure is reported with
// t.Errorf naming the method, path, status and validation error; the
// response is handed on unchanged either way. A request to a path the
// document does not know is reported unless it was answered 404 (or 405 for
// a known path with an unknown method).
package openapitest
