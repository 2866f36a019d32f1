package api_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/api"
)

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	require.NoError(t, err)
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadDoc(t)
	require.NoError(t, doc.Validate(context.Background()))
	assert.Equal(t, "3.0.3", doc.OpenAPI)
}

// TestOpenAPIDocumentCoversContract checks that every endpoint of the
// contract (section 3) is described.
func TestOpenAPIDocumentCoversContract(t *testing.T) {
	doc := loadDoc(t)
	tests := []struct {
		giveMethod string
		givePath   string
	}{
		{http.MethodGet, "/oauth/authorize"},
		{http.MethodPost, "/oauth/token"},
		{http.MethodPost, "/oauth/revoke"},
		{http.MethodPost, "/oauth/introspect"},
		{http.MethodGet, "/.well-known/oauth-authorization-server"},
		{http.MethodGet, "/.well-known/jwks.json"},
		{http.MethodPost, "/api/auth/register"},
		{http.MethodPost, "/api/auth/login"},
		{http.MethodPost, "/api/auth/logout"},
		{http.MethodGet, "/api/auth/me"},
		{http.MethodPatch, "/api/auth/me"},
		{http.MethodDelete, "/api/auth/me"},
		{http.MethodPost, "/api/auth/password-reset"},
		{http.MethodPost, "/api/auth/password-reset/confirm"},
		{http.MethodGet, "/api/scopes"},
		{http.MethodPost, "/api/scopes"},
		{http.MethodGet, "/api/scopes/{id}"},
		{http.MethodPut, "/api/scopes/{id}"},
		{http.MethodDelete, "/api/scopes/{id}"},
		{http.MethodGet, "/api/clients"},
		{http.MethodPost, "/api/clients"},
		{http.MethodGet, "/api/clients/{id}"},
		{http.MethodPut, "/api/clients/{id}"},
		{http.MethodDelete, "/api/clients/{id}"},
		{http.MethodPost, "/api/clients/{id}/regenerate-secret"},
		{http.MethodGet, "/healthz"},
		{http.MethodGet, "/readyz"},
		{http.MethodGet, "/api-docs"},
		{http.MethodGet, "/api-docs/openapi.json"},
	}
	for _, tt := range tests {
		t.Run(tt.giveMethod+" "+tt.givePath, func(t *testing.T) {
			item := doc.Paths.Value(tt.givePath)
			require.NotNil(t, item, "path missing")
			op := item.GetOperation(tt.giveMethod)
			require.NotNil(t, op, "method missing")
			assert.NotEmpty(t, op.OperationID)
			assert.NotNil(t, op.Responses.Status(http.StatusInternalServerError), "500 missing")
			assert.NotNil(t, op.Responses.Status(http.StatusTooManyRequests), "429 missing")
		})
	}
}

// TestOpenAPIErrorShapes checks that /oauth/* answers RFC 6749 errors and
// /api/* the contract's error shape, and that every response documents
// X-Request-Id.
func TestOpenAPIErrorShapes(t *testing.T) {
	doc := loadDoc(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, resp := range op.Responses.Map() {
				name := method + " " + path + " " + status
				assert.Contains(t, resp.Value.Headers, "X-Request-Id", name)
				if status[0] != '4' && status[0] != '5' {
					continue
				}
				mt := resp.Value.Content.Get("application/json")
				if mt == nil {
					continue
				}
				switch {
				case strings.HasPrefix(path, "/oauth/"), strings.HasPrefix(path, "/.well-known/"):
					assert.Equal(t, "#/components/schemas/OAuthError", mt.Schema.Ref, name)
				case strings.HasPrefix(path, "/api/"):
					assert.Equal(t, "#/components/schemas/Error", mt.Schema.Ref, name)
				}
			}
		}
	}
}

// TestOpenAPIExamplesMatchSchemas checks every component example against its
// schema, so the examples shown in Swagger UI are real.
func TestOpenAPIExamplesMatchSchemas(t *testing.T) {
	doc := loadDoc(t)
	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := doc.Components.Schemas[name].Value
		if s.Example == nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			assert.NoError(t, s.VisitJSON(s.Example))
		})
	}
}

func TestOpenAPIRejectsSecretsInClientReads(t *testing.T) {
	doc := loadDoc(t)
	client := doc.Components.Schemas["Client"].Value
	var withSecret map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"client_id":"c","name":"n","redirect_uris":[],"grant_types":["client_credentials"],"scopes":[],"public":false,"first_party":false,"created_at":"2026-01-02T15:04:05Z","updated_at":"2026-01-02T15:04:05Z","client_secret":"x"}`), &withSecret))
	assert.Error(t, client.VisitJSON(withSecret), "a client read must not carry a secret")
	delete(withSecret, "client_secret")
	assert.NoError(t, client.VisitJSON(withSecret))
}

func TestSwaggerUIFiles(t *testing.T) {
	tests := []struct {
		giveName     string
		wantContains string
	}{
		{"index.html", "/api-docs/swagger-initializer.js"},
		{"swagger-initializer.js", "/api-docs/openapi.json"},
		{"swagger-ui.css", ".swagger-ui"},
		{"swagger-ui-bundle.js", "SwaggerUIBundle"},
		{"swagger-ui-standalone-preset.js", "SwaggerUIStandalonePreset"},
	}
	for _, tt := range tests {
		t.Run(tt.giveName, func(t *testing.T) {
			b, err := fs.ReadFile(api.SwaggerUI, tt.giveName)
			require.NoError(t, err)
			assert.Contains(t, string(b), tt.wantContains)
		})
	}
}

// TestSwaggerUIAssetsAreDocumented keeps the /api-docs/{asset} enum in step
// with the embedded files.
func TestSwaggerUIAssetsAreDocumented(t *testing.T) {
	doc := loadDoc(t)
	op := doc.Paths.Value("/api-docs/{asset}").Get
	require.NotNil(t, op)
	p := op.Parameters.GetByInAndName("path", "asset")
	require.NotNil(t, p)
	var documented []string
	for _, e := range p.Schema.Value.Enum {
		documented = append(documented, e.(string))
	}
	var embedded []string
	require.NoError(t, fs.WalkDir(api.SwaggerUI, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded = append(embedded, path)
		}
		return err
	}))
	assert.ElementsMatch(t, embedded, documented)
}

// TestSwaggerUIIndexHasNoInlineScript keeps the page working under a CSP of
// script-src 'self'.
func TestSwaggerUIIndexHasNoInlineScript(t *testing.T) {
	b, err := fs.ReadFile(api.SwaggerUI, "index.html")
	require.NoError(t, err)
	page := string(b)
	for rest := page; ; {
		i := strings.Index(rest, "<script")
		if i < 0 {
			break
		}
		end := strings.Index(rest[i:], ">")
		require.Positive(t, end)
		tag := rest[i : i+end+1]
		assert.Contains(t, tag, "src=", "inline script: %s", tag)
		rest = rest[i+end+1:]
		assert.True(t, strings.HasPrefix(rest, "</script>"), "script with a body after %s", tag)
	}
	assert.NotContains(t, page, "onload=")
	assert.NotContains(t, page, "javascript:")
}
