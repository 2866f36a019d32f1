package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates
var templateFS embed.FS

// Message is one rendered mail: a subject, a plain-text body and the same
// in HTML.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// kind is one sort of mail and where its link leads.
type kind struct {
	name    string
	subject string
	path    string
}

var (
	kindReset  = kind{"password_reset", "Reset your password", "/password-reset/confirm"}
	kindVerify = kind{"verify_email", "Confirm your e-mail address", "/verify-email"}
)

// Templates renders the mails from the embedded templates, with links
// under the server's public base URL (ISSUER_URL).
type Templates struct {
	base  string
	site  string
	brand Brand
	text  map[string]*texttemplate.Template
	html  map[string]*htmltemplate.Template
	// notice is the HTML of security notices.
	notice *htmltemplate.Template
}

// Brand is the name and colour every mail carries (BRAND_NAME,
// BRAND_PRIMARY_COLOR); the zero value is identityd's own.
type Brand struct {
	Name string
	// PrimaryColor is a CSS hex colour, checked by the configuration;
	// empty: the default.
	PrimaryColor string
}

// Option changes how the templates render.
type Option func(*Templates)

// WithBrand puts b's name and colour on every mail.
func WithBrand(b Brand) Option {
	return func(t *Templates) {
		if b.Name != "" {
			t.brand.Name = b.Name
		}
		if b.PrimaryColor != "" {
			t.brand.PrimaryColor = b.PrimaryColor
		}
	}
}

// NewTemplates parses the templates; base is the public URL links start
// with.
func NewTemplates(base string, opts ...Option) (*Templates, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("mail templates: base URL %q is not absolute", base)
	}
	t := &Templates{base: strings.TrimRight(base, "/"), site: u.Host, brand: Brand{Name: "identityd", PrimaryColor: "#3454d1"},
		text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, o := range opts {
		o(t)
	}
	for _, k := range []kind{kindReset, kindVerify} {
		tt, err := texttemplate.ParseFS(templateFS, "templates/"+k.name+".txt")
		if err != nil {
			return nil, fmt.Errorf("mail template %s: %w", k.name, err)
		}
		ht, err := htmltemplate.ParseFS(templateFS, "templates/layout.html", "templates/"+k.name+".html")
		if err != nil {
			return nil, fmt.Errorf("mail template %s: %w", k.name, err)
		}
		t.text[k.name], t.html[k.name] = tt, ht
	}
	nt, err := htmltemplate.ParseFS(templateFS, "templates/layout.html", "templates/notice.html")
	if err != nil {
		return nil, fmt.Errorf("mail template notice: %w", err)
	}
	t.notice = nt
	return t, nil
}

// render makes the message of kind k to email with the token's link.
func (t *Templates) render(k kind, email, token string, ttlMinutes int) (Message, error) {
	data := struct {
		Subject, Email, Site, Link, ValidFor string
		Brand                                Brand
	}{k.subject, email, t.site, t.base + k.path + "?token=" + url.QueryEscape(token), validFor(ttlMinutes), t.brand}
	var text, html bytes.Buffer
	if err := t.text[k.name].Execute(&text, data); err != nil {
		return Message{}, fmt.Errorf("render %s: %w", k.name, err)
	}
	if err := t.html[k.name].ExecuteTemplate(&html, "layout", data); err != nil {
		return Message{}, fmt.Errorf("render %s: %w", k.name, err)
	}
	return Message{To: email, Subject: k.subject, Text: text.String(), HTML: html.String()}, nil
}

// renderNotice makes a security notice: the text as it is, and in HTML
// in the layout of every mail.
func (t *Templates) renderNotice(email, subject, text string) (Message, error) {
	data := struct {
		Subject, Email, Site, Text string
		Brand                      Brand
	}{subject, email, t.site, text, t.brand}
	var body bytes.Buffer
	if err := t.notice.ExecuteTemplate(&body, "layout", data); err != nil {
		return Message{}, fmt.Errorf("render notice: %w", err)
	}
	return Message{To: email, Subject: subject, Text: text + "\n\n-- " + t.site + "\n", HTML: body.String()}, nil
}

// validFor says a lifetime in minutes the way a person reads it.
func validFor(minutes int) string {
	d := time.Duration(minutes) * time.Minute
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d == time.Hour:
		return "one hour"
	default:
		return fmt.Sprintf("%d minutes", minutes)
	}
}
