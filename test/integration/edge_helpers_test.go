package integration_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	httpadapter "github.com/identityd/identityd/adapters/http"
)

// send makes a request with the given headers and returns the response
// with its body read.
func send(t *testing.T, method, url string, headers map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

// testRoutes adds routes that only tests need: one that panics with
// something that must not leak, and an HTML page.
func testRoutes() fx.Option {
	return fx.Invoke(func(h *httpadapter.Handler) {
		h.Router().HandleFunc("/test/panic", func(http.ResponseWriter, *http.Request) {
			panic("secret internals: db password hunter2")
		})
		h.Router().HandleFunc("/test/page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, `<!doctype html><link rel="stylesheet" href="/static/login.css"><form method="post" action="/oauth/authorize"></form>`)
		})
	})
}
