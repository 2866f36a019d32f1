package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// loaderVariables are the names app.LoadConfig reads: it is called with
// an empty environment that records every name asked for. Every variable
// is read whatever the others say, so this is the whole list. OTEL_*
// variables are the OpenTelemetry standard ones, read by the SDK.
func loaderVariables(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	_, _ = app.LoadConfig(func(name string) (string, bool) {
		seen[name] = true
		return "", false
	})
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	require.NotEmpty(t, names)
	return names
}

func readRootFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	require.NoError(t, err)
	return string(b)
}

// TestContractVariablesAreRead checks that every variable of section 2 of
// CONTRACT.md is read by the configuration loader, when a copy of the
// contract sits beside the repository (as shared/ does for developers and
// CI); elsewhere it skips.
func TestContractVariablesAreRead(t *testing.T) {
	path := filepath.Join(root, "..", "shared", "CONTRACT.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no contract at %s: %v", path, err)
	}
	text := string(b)
	start := strings.Index(text, "## 2.")
	end := strings.Index(text, "## 3.")
	require.True(t, start >= 0 && end > start, "section 2 not found")
	named := tableVariables(text[start:end])
	require.NotEmpty(t, named)
	read := loaderVariables(t)
	for _, v := range named {
		if strings.HasPrefix(v, "OTEL_") {
			continue
		}
		assert.Contains(t, read, v, "%s is in CONTRACT.md section 2 but app.LoadConfig (app/config.go) does not read it: read and validate it there, then add it to .env.example and README.md's configuration table", v)
	}
}

// tableVariables returns the variable names in backquotes in the first
// column of the markdown table rows of text.
func tableVariables(text string) []string {
	var named []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line, "|", 3)[1]
		for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(first, -1) {
			named = append(named, m[1])
		}
	}
	return named
}
