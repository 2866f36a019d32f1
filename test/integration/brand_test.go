package integration_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// BRAND_NAME, BRAND_LOGO_URL and BRAND_PRIMARY_COLOR change every page: the
// name in the title and header, the logo (allowed as an image source by the
// Content-Security-Policy, nothing more), and the colour in the stylesheet,
// whose address changes with it so no cached copy is stale.
func TestPagesCarryTheBrand(t *testing.T) {
	t.Parallel()
	plain := apptest.Start(t, nil)
	branded := apptest.Start(t, map[string]string{
		"BRAND_NAME": "Acme <Sign-in>", "BRAND_LOGO_URL": "https://cdn.example.com/acme.svg", "BRAND_PRIMARY_COLOR": "#0a7f3c",
	})
	cssLink := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`)
	for _, path := range []string{"/", "/register", "/password-reset"} {
		resp, body := branded.Do(t, http.MethodGet, path, "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		page := string(body)
		assert.Contains(t, page, "· Acme &lt;Sign-in&gt;</title>", path)
		assert.Contains(t, page, `<img class="logo" src="https://cdn.example.com/acme.svg"`, path)
		assert.NotContains(t, page, "<span>identityd</span>", path)
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "img-src 'self' data: https://cdn.example.com", path)
		assert.NotContains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self' https://cdn.example.com", path)

		resp, body = plain.Do(t, http.MethodGet, path, "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, string(body), "<span>identityd</span>", path)
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "img-src 'self' data:;", path)
	}

	stylesheet := func(s *apptest.Server) (string, string) {
		_, body := s.Do(t, http.MethodGet, "/", "", nil)
		m := cssLink.FindStringSubmatch(string(body))
		require.Len(t, m, 2)
		resp, css := s.Do(t, http.MethodGet, m[1], "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return m[1], string(css)
	}
	plainPath, plainCSS := stylesheet(plain)
	brandPath, brandCSS := stylesheet(branded)
	assert.NotEqual(t, plainPath, brandPath, "a new colour is a new address")
	assert.Contains(t, brandCSS, ":root{--brand:#0a7f3c;")
	assert.NotContains(t, plainCSS, "#0a7f3c")
}
