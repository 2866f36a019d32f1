package apptest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/test/openapitest"
	"golang.org/x/net/html"
)

// Browser is a person at a web browser: it keeps cookies, follows the
// server's redirects, stops at a redirect that leaves the server (to a
// client's redirect_uri), and reads and submits HTML forms.
type Browser struct {
	t      testing.TB
	origin string
	Client *http.Client
}

// NewBrowser returns a browser with an empty cookie jar for the server at
// serverURL.
func NewBrowser(t testing.TB, serverURL string) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	u, err := url.Parse(serverURL)
	require.NoError(t, err)
	return &Browser{t: t, origin: u.Scheme + "://" + u.Host, Client: &http.Client{
		Jar:           jar,
		Transport:     openapitest.New(t).Only(u.Scheme + "://" + u.Host).RoundTripper(nil),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is what the browser shows after a request.
type Page struct {
	Status int
	URL    *url.URL
	Header http.Header
	Body   string
	Forms  []Form
	// Left is set when the server redirected the browser away from
	// itself; it is that target, not fetched.
	Left *url.URL
}

// Form is an HTML form of a page.
type Form struct {
	Action  string
	Method  string
	Fields  url.Values
	Inputs  []string
	Buttons []Button
}

// Button is a submit button.
type Button struct{ Name, Value string }

// Open loads rawURL with GET.
func (b *Browser) Open(rawURL string) Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

// Submit posts form with its fields, the values in fill, and the named
// button's value when button is not "".
func (b *Browser) Submit(p Page, f Form, fill map[string]string, button string) Page {
	b.t.Helper()
	values := url.Values{}
	for k, v := range f.Fields {
		values[k] = append([]string(nil), v...)
	}
	for k, v := range fill {
		values.Set(k, v)
	}
	if button != "" {
		found := false
		for _, btn := range f.Buttons {
			if btn.Value == button {
				values.Set(btn.Name, btn.Value)
				found = true
			}
		}
		require.True(b.t, found, "no button with value %q", button)
	}
	action, err := p.URL.Parse(f.Action)
	require.NoError(b.t, err)
	req, err := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(values.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *Browser) do(req *http.Request) Page {
	b.t.Helper()
	for hops := 0; ; hops++ {
		require.Less(b.t, hops, 10, "too many redirects")
		resp, err := b.Client.Do(req)
		require.NoError(b.t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(b.t, err)
		p := Page{Status: resp.StatusCode, URL: req.URL, Header: resp.Header, Body: string(body)}
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			p.Forms = parseForms(b.t, p.Body)
			return p
		}
		loc, err := resp.Location()
		require.NoError(b.t, err)
		if loc.Scheme+"://"+loc.Host != b.origin {
			p.Left = loc
			return p
		}
		req, err = http.NewRequest(http.MethodGet, loc.String(), nil)
		require.NoError(b.t, err)
	}
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func parseForms(t testing.TB, body string) []Form {
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	var forms []Form
	var walk func(n *html.Node, f *Form)
	walk = func(n *html.Node, f *Form) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				action, _ := attr(n, "action")
				method, _ := attr(n, "method")
				nf := Form{Action: action, Method: strings.ToUpper(method), Fields: url.Values{}}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c, &nf)
				}
				forms = append(forms, nf)
				return
			case "input":
				if f != nil {
					name, _ := attr(n, "name")
					typ, _ := attr(n, "type")
					value, _ := attr(n, "value")
					if name != "" {
						f.Inputs = append(f.Inputs, name)
						if typ == "submit" {
							f.Buttons = append(f.Buttons, Button{name, value})
						} else {
							f.Fields.Set(name, value)
						}
					}
				}
			case "button":
				if f != nil {
					name, _ := attr(n, "name")
					value, _ := attr(n, "value")
					if name != "" {
						f.Buttons = append(f.Buttons, Button{name, value})
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, f)
		}
	}
	walk(doc, nil)
	return forms
}
