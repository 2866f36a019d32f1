package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/app/apptest"
)

func TestConfigPprofAddr(t *testing.T) {
	tests := []struct {
		name, value, want, err string
		warns                  bool
	}{
		{name: "unset", value: "", want: ""},
		{name: "bare port is loopback", value: "6060", want: "127.0.0.1:6060"},
		{name: "empty host is loopback", value: ":6060", want: "127.0.0.1:6060"},
		{name: "localhost", value: "localhost:6060", want: "127.0.0.1:6060"},
		{name: "loopback v4", value: "127.0.0.1:6060", want: "127.0.0.1:6060"},
		{name: "loopback v6", value: "[::1]:6060", want: "[::1]:6060"},
		{name: "every interface, given explicitly", value: "0.0.0.0:6060", want: "0.0.0.0:6060", warns: true},
		{name: "host name refused", value: "metrics.example.com:6060", err: "PPROF_ADDR"},
		{name: "bad port", value: "127.0.0.1:http", err: "PPROF_ADDR"},
		{name: "port out of range", value: "70000", err: "PPROF_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := app.LoadConfig(lookup(map[string]string{"APP_ENV": "test", "JWT_SECRET": apptest.JWTSecret,
				"JWT_REFRESH_SECRET": apptest.JWTRefreshSecret, "PPROF_ADDR": tt.value}))
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.HTTP.PprofAddr)
			warned := false
			for _, w := range cfg.Warnings {
				warned = warned || strings.HasPrefix(w, "PPROF_ADDR")
			}
			assert.Equal(t, tt.warns, warned)
		})
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestPprofOffByDefault(t *testing.T) {
	var srv *app.Server
	s := apptest.Start(t, nil, fx.Populate(&srv))
	assert.Empty(t, srv.PprofAddr(), "no profiling listener without PPROF_ADDR")
	assert.Equal(t, http.StatusNotFound, get(t, s.URL+"/debug/pprof/"), "never on the API's listener")
}

func TestPprofOnWhenSet(t *testing.T) {
	var srv *app.Server
	s := apptest.Start(t, map[string]string{"PPROF_ADDR": "127.0.0.1:0"}, fx.Populate(&srv))
	addr := srv.PprofAddr()
	require.NotEmpty(t, addr)
	assert.Contains(t, addr, "127.0.0.1:")
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1"} {
		assert.Equal(t, http.StatusOK, get(t, "http://"+addr+path), path)
	}
	assert.Equal(t, http.StatusNotFound, get(t, s.URL+"/debug/pprof/"), "the API's listener still has no profiles")
}
