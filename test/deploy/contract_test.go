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
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// contractVariables are the variables of CONTRACT.md section 2, plus the
// two it names elsewhere (AUTO_MIGRATE in section 1, JWT_PRIVATE_KEY_FILE
// in the JWT_SIGNING_ALG row). OTEL_* variables are the OpenTelemetry
// standard ones and are allowed by prefix.
func contractVariables() []string {
	return []string{
		"APP_ENV", "PORT", "ISSUER_URL", "DATABASE_URL", "REDIS_URL", "AUTO_MIGRATE",
		"JWT_SECRET", "JWT_REFRESH_SECRET", "JWT_SIGNING_ALG", "JWT_PRIVATE_KEY_FILE",
		"TOKEN_EXPIRY", "REFRESH_TOKEN_EXPIRY", "REFRESH_TOKEN_REUSE_INTERVAL", "AUTH_CODE_EXPIRY", "PASSWORD_RESET_EXPIRY",
		"BCRYPT_COST", "LOG_LEVEL", "LOG_FILE", "TLS_CERT_FILE", "TLS_KEY_FILE",
		"TRUSTED_PROXIES", "CORS_ORIGIN", "RATE_LIMIT_ENABLED",
		"BOOTSTRAP_ADMIN_EMAIL", "BOOTSTRAP_ADMIN_PASSWORD",
		"BOOTSTRAP_ADMIN_CLIENT_ID", "BOOTSTRAP_ADMIN_CLIENT_SECRET",
		"OTEL_EXPORTER_OTLP_ENDPOINT",
		"JWT_SECRET_PREVIOUS", "SIGNING_KEY_ROTATION_INTERVAL",
	}
}

func isContractVariable(name string) bool {
	return slices.Contains(contractVariables(), name) || strings.HasPrefix(name, "OTEL_")
}

func readRootFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	require.NoError(t, err)
	return string(b)
}

// TestContractVariablesMatchContract compares the list above with section
// 2 of CONTRACT.md when a copy of it sits beside the repository (as shared/
// does for developers and CI); elsewhere it skips.
func TestContractVariablesMatchContract(t *testing.T) {
	path := filepath.Join(root, "..", "shared", "CONTRACT.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no contract at %s: %v", path, err)
	}
	text := string(b)
	start := strings.Index(text, "## 2.")
	end := strings.Index(text, "## 3.")
	require.True(t, start >= 0 && end > start, "section 2 not found")
	section := text[start:end]

	var named []string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line, "|", 3)[1]
		for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(first, -1) {
			named = append(named, m[1])
		}
	}
	require.NotEmpty(t, named)
	for _, v := range named {
		assert.True(t, isContractVariable(v), "%s is in the contract but not in contractVariables()", v)
	}
	for _, v := range contractVariables() {
		named := strings.Contains(text, "`"+v+"`") || strings.Contains(text, "`"+v+"=")
		assert.True(t, named, "%s is not named by the contract", v)
	}
}
