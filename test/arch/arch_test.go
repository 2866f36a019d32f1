package arch_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/identityd/identityd"

// deps lists the non-test dependencies of pattern: import path -> standard.
func deps(t *testing.T, pattern string) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", pattern).Output()
	require.NoError(t, err)
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		path, std, _ := strings.Cut(sc.Text(), " ")
		m[path] = std == "true"
	}
	return m
}

func TestCoreImportsOnlyTheStandardLibrary(t *testing.T) {
	for path, std := range deps(t, module+"/core/...") {
		if !std && !strings.HasPrefix(path, module+"/core") {
			t.Errorf("core depends on %s", path)
		}
	}
	forbidden := []string{"net/http", "database/sql"}
	d := deps(t, module+"/core/...")
	for _, f := range forbidden {
		assert.False(t, d[f] || hasKey(d, f), "core must not depend on %s", f)
	}
}

func hasKey(m map[string]bool, k string) bool { _, ok := m[k]; return ok }

func TestPortsDependOnlyOnCore(t *testing.T) {
	for path, std := range deps(t, module+"/ports") {
		if !std && path != module+"/ports" && !strings.HasPrefix(path, module+"/core") {
			t.Errorf("ports depends on %s", path)
		}
	}
}

func TestServicesAndGrantsKnowNoAdapter(t *testing.T) {
	// Grants are fx modules, and fx itself pulls in net/http, so the
	// transport check applies to the services only.
	// grants/granttest is the test kit: it starts a whole server, as
	// app/apptest does, and no grant imports it outside its tests.
	tests := map[string][]string{
		module + "/service/...": {"net/http"},
	}
	out, err := exec.Command("go", "list", module+"/grants/...").Output()
	require.NoError(t, err)
	for _, pkg := range strings.Fields(string(out)) {
		if pkg != module+"/grants/granttest" {
			tests[pkg] = nil
		}
	}
	for pattern, extra := range tests {
		for path := range deps(t, pattern) {
			for _, bad := range append([]string{module + "/adapters", module + "/app", module + "/cmd", "database/sql", "github.com/redis/", "github.com/lib/pq", "github.com/jmoiron/sqlx"}, extra...) {
				if strings.HasPrefix(path, bad) {
					t.Errorf("%s depends on %s", pattern, path)
				}
			}
		}
	}
}

func TestOnlyTheWiringImportsAdapters(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...").Output()
	require.NoError(t, err)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		pkg := fields[0]
		if strings.HasPrefix(pkg, module+"/app") || strings.HasPrefix(pkg, module+"/cmd") ||
			strings.HasPrefix(pkg, module+"/test") || strings.HasPrefix(pkg, module+"/bench") {
			continue
		}
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, module+"/adapters/") && !strings.HasPrefix(pkg, module+"/adapters/") {
				t.Errorf("%s imports the adapter %s; only app/ may", pkg, imp)
			}
		}
	}
}
