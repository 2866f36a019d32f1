package deploy_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goRelease is the Go release of go.mod's go line, e.g. "1.27.3".
func goRelease(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+\.\d+)$`).FindStringSubmatch(readRootFile(t, "go.mod"))
	require.NotNil(t, m, "go.mod has no go line naming a patch release")
	return m[1]
}

// TestOneGoRelease checks that every entry point builds with the Go release
// of go.mod's go line: a machine whose own Go is older (with GOTOOLCHAIN=local
// in its go env) fetches that release only where GOTOOLCHAIN names it.
func TestOneGoRelease(t *testing.T) {
	release := goRelease(t)
	want := "go" + release
	for file, pattern := range map[string]string{
		"Makefile":     `(?m)^export GOTOOLCHAIN := (\S+)$`,
		".ci/run":      `(?m)^export GOTOOLCHAIN=(\S+)$`,
		"tools/go.mod": `(?m)^go (\S+)$`,
		"Dockerfile":   `(?m)^FROM golang:(\S+) AS build$`,
		"README.md":    "(?m)^export GOTOOLCHAIN=(\\S+)",
	} {
		m := regexp.MustCompile(pattern).FindStringSubmatch(readRootFile(t, file))
		if !assert.NotNil(t, m, "%s: no match for %s", file, pattern) {
			continue
		}
		got := m[1]
		if file == "tools/go.mod" || file == "Dockerfile" {
			got = "go" + got
		}
		assert.Equal(t, want, got, "%s", file)
	}
}
