package http

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
)

//go:embed pages
var pageFS embed.FS

// pages are the server-rendered HTML pages of the authorization endpoint:
// small, without scripts, styled by one embedded stylesheet so they work
// under a CSP of default-src 'none'; style-src 'self'.
type pages struct {
	byName  map[string]*template.Template
	css     []byte
	favicon []byte
	// cssPath is the stylesheet's address, with a version that changes
	// with the brand colour so a cached copy is never stale.
	cssPath string
}

// Brand is the name, logo and colour every page carries (BRAND_NAME,
// BRAND_LOGO_URL, BRAND_PRIMARY_COLOR). The zero value is identityd's own.
type Brand struct {
	Name string
	// LogoURL is an absolute https URL or a path on this server; empty:
	// the built-in mark.
	LogoURL string
	// PrimaryColor is a CSS hex colour (#rgb or #rrggbb), checked by the
	// configuration; empty: the stylesheet's own.
	PrimaryColor string
}

func (b Brand) withDefaults() Brand {
	if b.Name == "" {
		b.Name = "identityd"
	}
	return b
}

func newPages(brand Brand) (*pages, error) {
	brand = brand.withDefaults()
	p := &pages{byName: map[string]*template.Template{}}
	funcs := template.FuncMap{"brand": func() Brand { return brand }, "stylesheet": func() string { return p.cssPath }}
	for _, name := range []string{"login", "consent", "error", "grant", "index", "register", "reset", "reset_confirm", "notice", "logout", "confirm", "mfa", "mfa_enrol", "recovery_codes", "account_security"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(pageFS, "pages/base.html", "pages/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		p.byName[name] = t
	}
	icon, err := pageFS.ReadFile("pages/favicon.svg")
	if err != nil {
		return nil, fmt.Errorf("read favicon: %w", err)
	}
	p.favicon = icon
	css, err := pageFS.ReadFile("pages/identityd.css")
	if err != nil {
		return nil, fmt.Errorf("read stylesheet: %w", err)
	}
	if c := brand.PrimaryColor; c != "" {
		// The colour is #rgb or #rrggbb (the configuration checks it), so
		// it cannot end the rule it is written into.
		css = append(css, ":root{--brand:"+c+";--brand-dark:"+c+"}\n"...)
	}
	p.css = css
	sum := sha256.Sum256(css)
	p.cssPath = "/assets/identityd.css?v=" + hex.EncodeToString(sum[:6])
	return p, nil
}

// render writes page name with data. The page is rendered to a buffer first
// so a template error cannot leave half a page.
func (p *pages) render(w http.ResponseWriter, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := p.byName[name].ExecuteTemplate(&buf, "base", data); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The security headers (no scripts, only the embedded stylesheet, no
	// framing of the consent button) come from the edge middleware.
	noStore(w)
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

func (h *Handler) stylesheet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(h.pages.css)
}

// mustPages parses the embedded pages. They are fixed at build time, so a
// failure is a defect of the build that every test of the package reports.
func mustPages(brand Brand) *pages {
	p, err := newPages(brand)
	if err != nil {
		panic(err)
	}
	return p
}

// errorPage speaks to the person: what happened (Message) and what to do
// (Advice, or a Restart link that starts the flow again); the RFC error
// code is there, small, for developers.
type errorPage struct {
	Title   string
	Message string
	Advice  string
	Restart string
	Code    string
}
