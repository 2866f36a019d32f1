package api

import (
	"embed"
	"io/fs"
)

// OpenAPI is the OpenAPI 3 document, served at GET /api-docs/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

//go:embed swagger-ui/index.html swagger-ui/swagger-initializer.js swagger-ui/swagger-ui.css swagger-ui/swagger-ui-bundle.js swagger-ui/swagger-ui-standalone-preset.js
var swaggerUI embed.FS

// SwaggerUI holds the Swagger UI page and its assets at its root
// (index.html, swagger-initializer.js, swagger-ui.css, swagger-ui-bundle.js,
// swagger-ui-standalone-preset.js), to be served under /api-docs/. The page
// loads the document from /api-docs/openapi.json.
var SwaggerUI fs.FS = subFS(swaggerUI, "swagger-ui")

// subFS returns the subtree dir of f. The directory is embedded, so fs.Sub
// cannot fail; a panic here means the embed pattern above is broken.
func subFS(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("api: embedded Swagger UI: " + err.Error())
	}
	return sub
}
