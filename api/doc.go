// Package api holds the OpenAPI 3 document of every identityd endpoint and
// the Swagger UI that renders it at /api-docs.
//
// The document (openapi.json) is the machine-checked description of the
// external contract: the end-to-end suites validate every response the
// server gives against it (see test/openapitest).
//
// The Swagger UI files under swagger-ui/ are swagger-ui-dist 5.35.0 from the
// npm registry (swagger-ui.css, swagger-ui-bundle.js,
// swagger-ui-standalone-preset.js, unmodified, Apache-2.0, see
// swagger-ui/LICENSE), plus our own index.html and swagger-initializer.js.
// The page loads every script from /api-docs/ and has no inline script, so a
// Content-Security-Policy of
//
//	default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:
//
// is enough for it (Swagger UI sets inline style attributes and uses data:
// images).
package api
