package deploy_test

import (
	"bufio"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/app/apptest"
)

// parseEnvFile returns the KEY=value assignments of a dotenv file, skipping
// blank lines and comments.
func parseEnvFile(t *testing.T, text string) map[string]string {
	t.Helper()
	vars := make(map[string]string)
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		require.True(t, ok, "line %d is not KEY=value: %q", n, line)
		_, dup := vars[key]
		require.False(t, dup, "line %d sets %s again", n, key)
		vars[key] = value
	}
	require.NoError(t, sc.Err())
	return vars
}

// secretProblem tells which JWT_SECRET rule s breaks, or "".
func secretProblem(s string) string {
	if len(s) < 32 {
		return "shorter than 32 characters"
	}
	var upper, lower, digit, special bool
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		default:
			special = true
		}
	}
	switch {
	case !upper:
		return "no upper-case letter"
	case !lower:
		return "no lower-case letter"
	case !digit:
		return "no digit"
	case !special:
		return "no special character"
	}
	return ""
}

// TestConfigurationIsDocumented compares the variables the configuration
// loader reads with those .env.example sets and those README.md's
// configuration table names: all three must be the same list. A failure
// says what to add where.
func TestConfigurationIsDocumented(t *testing.T) {
	read := loaderVariables(t)
	env := parseEnvFile(t, readRootFile(t, ".env.example"))
	readme := readmeConfigVariables(t)
	isRead := func(v string) bool { return slices.Contains(read, v) || strings.HasPrefix(v, "OTEL_") }
	for _, v := range read {
		_, ok := env[v]
		assert.True(t, ok, "app/config.go reads %s but .env.example does not set it: add a line %s= (with its default, or empty, and a comment if it needs one) to .env.example", v, v)
		assert.Contains(t, readme, v, "app/config.go reads %s but README.md's configuration table does not name it: add a row | `%s` | default | what it does | under ## Configuration", v, v)
	}
	for v := range env {
		assert.True(t, isRead(v), ".env.example sets %s, which app/config.go does not read: remove the line, or read and validate it in app.LoadConfig", v)
	}
	for _, v := range readme {
		assert.True(t, isRead(v), "README.md's configuration table names %s, which app/config.go does not read: remove it from the table, or read and validate it in app.LoadConfig", v)
	}
}

// readmeConfigVariables returns the variables named in the first column of
// the table under README.md's "## Configuration".
func readmeConfigVariables(t *testing.T) []string {
	t.Helper()
	text := readRootFile(t, "README.md")
	start := strings.Index(text, "\n## Configuration")
	require.GreaterOrEqual(t, start, 0, "README.md has no ## Configuration section")
	section := text[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	names := tableVariables(section)
	require.NotEmpty(t, names, "README.md's configuration table names no variables")
	return names
}

func TestEnvExampleValuesAreUsable(t *testing.T) {
	vars := parseEnvFile(t, readRootFile(t, ".env.example"))

	for _, name := range []string{"JWT_SECRET", "JWT_REFRESH_SECRET"} {
		assert.Empty(t, secretProblem(vars[name]), "%s breaks the secret rules", name)
		assert.Contains(t, vars[name], "EXAMPLE", "%s must be marked as an example", name)
	}
	assert.NotEqual(t, vars["JWT_SECRET"], vars["JWT_REFRESH_SECRET"], "the two JWT secrets must differ")

	assert.GreaterOrEqual(t, len(vars["BOOTSTRAP_ADMIN_CLIENT_SECRET"]), 32)
	assert.Contains(t, vars["BOOTSTRAP_ADMIN_CLIENT_SECRET"], "EXAMPLE")
	assert.Contains(t, vars["BOOTSTRAP_ADMIN_PASSWORD"], "EXAMPLE")
	assert.NotEmpty(t, vars["BOOTSTRAP_ADMIN_CLIENT_ID"])

	cost, err := strconv.Atoi(vars["BCRYPT_COST"])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, cost, 10)
	assert.Contains(t, []string{"development", "test", "production"}, vars["APP_ENV"])
	assert.Contains(t, []string{"debug", "info", "warn", "error"}, vars["LOG_LEVEL"])
	assert.Contains(t, []string{"HS256", "RS256", "ES256", "EdDSA"}, vars["JWT_SIGNING_ALG"])
	assert.Equal(t, "8080", vars["PORT"])
}

// Every secret or password .env.example sets is refused by production,
// one at a time among otherwise good settings, with a line naming it: an
// example value added later without the marker fails here.
func TestProductionRefusesEveryExampleSecret(t *testing.T) {
	vars := parseEnvFile(t, readRootFile(t, ".env.example"))
	partners := map[string]map[string]string{
		"BOOTSTRAP_ADMIN_PASSWORD":      {"BOOTSTRAP_ADMIN_EMAIL": "root@id.example.org"},
		"BOOTSTRAP_ADMIN_CLIENT_SECRET": {"BOOTSTRAP_ADMIN_CLIENT_ID": "automation"},
	}
	var checked int
	for name, value := range vars {
		if value == "" || !(strings.Contains(name, "SECRET") || strings.Contains(name, "PASSWORD")) || strings.HasSuffix(name, "_EXPIRY") {
			continue
		}
		checked++
		t.Run(name, func(t *testing.T) {
			env := map[string]string{
				"APP_ENV": "production", "ISSUER_URL": "https://id.example.com",
				"JWT_SECRET": apptest.JWTSecret, "JWT_REFRESH_SECRET": apptest.JWTRefreshSecret,
			}
			maps.Copy(env, partners[name])
			env[name] = value
			_, err := app.LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			require.Error(t, err, "production accepts .env.example's %s", name)
			assert.Contains(t, err.Error(), name+": is the example value of .env.example")
			assert.NotContains(t, err.Error(), value, "the value is not repeated")
		})
	}
	assert.GreaterOrEqual(t, checked, 4, "JWT_SECRET, JWT_REFRESH_SECRET and the bootstrap password and secret at least")
}
