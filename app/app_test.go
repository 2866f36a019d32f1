package app_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/app/apptest"
)

func lookup(env map[string]string) app.Lookup {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestGraphIsComplete(t *testing.T) {
	cfg, err := app.LoadConfig(lookup(apptest.Env(8080, nil)))
	require.NoError(t, err)
	assert.NoError(t, fx.ValidateApp(app.Options(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)))
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := app.LoadConfig(lookup(map[string]string{}))
	require.NoError(t, err)
	assert.Equal(t, "development", cfg.Env)
	assert.Equal(t, 8080, cfg.HTTP.Port)
	assert.Equal(t, "http://localhost:8080", cfg.IssuerURL)
	assert.Equal(t, 15*time.Minute, cfg.Tokens.AccessTTL)
	assert.Equal(t, 7*24*time.Hour, cfg.Tokens.RefreshTTL)
	assert.Equal(t, 10*time.Minute, cfg.Tokens.AuthCodeTTL)
	assert.Equal(t, 10*time.Minute, cfg.Tokens.DeviceCodeTTL)
	assert.Equal(t, time.Hour, cfg.Tokens.ResetTTL)
	assert.Equal(t, 12, cfg.Passwords.BcryptCost)
	assert.True(t, cfg.RateLimit.Enabled)
	assert.Equal(t, 1000, cfg.RateLimit.Global.Limit)
	assert.Equal(t, 15*time.Minute, cfg.RateLimit.Auth.Window)
	assert.True(t, cfg.InMemory())
	assert.Len(t, cfg.Tokens.Secret, 32, "a random development key")
	assert.NotEqual(t, cfg.Tokens.Secret, cfg.Tokens.RefreshSecret)
	assert.Len(t, cfg.Warnings, 2)
	assert.False(t, cfg.Redis.Cluster)
}

func TestConfigBrand(t *testing.T) {
	cfg, err := app.LoadConfig(lookup(map[string]string{}))
	require.NoError(t, err)
	assert.Equal(t, app.BrandConfig{Name: "identityd"}, cfg.Brand)
	for _, logo := range []string{"https://cdn.example.com/acme.svg", "/static/acme.png", "http://127.0.0.1:9000/logo.png"} {
		cfg, err = app.LoadConfig(lookup(map[string]string{"BRAND_NAME": "Acme Sign-in", "BRAND_LOGO_URL": logo, "BRAND_PRIMARY_COLOR": "#0a7"}))
		require.NoError(t, err, logo)
		assert.Equal(t, app.BrandConfig{Name: "Acme Sign-in", LogoURL: logo, PrimaryColor: "#0a7"}, cfg.Brand)
	}
}

func TestConfigWebAuthn(t *testing.T) {
	cfg, err := app.LoadConfig(lookup(map[string]string{}))
	require.NoError(t, err)
	assert.Equal(t, "localhost", cfg.MFA.WebAuthnRPID)
	assert.Equal(t, []string{"http://localhost:8080"}, cfg.MFA.WebAuthnOrigins)
	cfg, err = app.LoadConfig(lookup(map[string]string{"ISSUER_URL": "https://login.example.com",
		"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGINS": "https://login.example.com, https://Account.Example.com/"}))
	require.NoError(t, err)
	assert.Equal(t, "example.com", cfg.MFA.WebAuthnRPID)
	assert.Equal(t, []string{"https://login.example.com", "https://account.example.com"}, cfg.MFA.WebAuthnOrigins)
	for _, issuer := range []string{"http://127.0.0.1:8080", "http://identityd.test"} {
		cfg, err = app.LoadConfig(lookup(map[string]string{"ISSUER_URL": issuer}))
		require.NoError(t, err, "%s starts: only explicit WebAuthn values are held to its rules", issuer)
		assert.Equal(t, []string{issuer}, cfg.MFA.WebAuthnOrigins)
	}
}

func TestConfigRedisCluster(t *testing.T) {
	cfg, err := app.LoadConfig(lookup(map[string]string{"REDIS_CLUSTER": "true",
		"REDIS_URL": "rediss://:pw@cache.example.com:6380?addr=cache2.example.com:6380", "DATABASE_URL": "postgres://x"}))
	require.NoError(t, err)
	assert.True(t, cfg.Redis.Cluster)
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad env", map[string]string{"APP_ENV": "staging"}, "APP_ENV"},
		{"bad port", map[string]string{"PORT": "http"}, "PORT"},
		{"same secrets", map[string]string{"JWT_SECRET": apptest.JWTSecret, "JWT_REFRESH_SECRET": apptest.JWTSecret}, "must differ"},
		{"bcrypt too cheap", map[string]string{"BCRYPT_COST": "9"}, "BCRYPT_COST"},
		{"bad duration", map[string]string{"REFRESH_TOKEN_EXPIRY": "-1d"}, "REFRESH_TOKEN_EXPIRY"},
		{"device codes too short-lived", map[string]string{"DEVICE_CODE_EXPIRY": "1s"}, "DEVICE_CODE_EXPIRY"},
		{"device codes not a duration", map[string]string{"DEVICE_CODE_EXPIRY": "soon"}, "DEVICE_CODE_EXPIRY"},
		{"bad level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"negative reuse interval", map[string]string{"REFRESH_TOKEN_REUSE_INTERVAL": "-1s"}, "REFRESH_TOKEN_REUSE_INTERVAL"},
		{"reuse interval too long", map[string]string{"REFRESH_TOKEN_REUSE_INTERVAL": "6m"}, "REFRESH_TOKEN_REUSE_INTERVAL"},
		{"reuse interval not a duration", map[string]string{"REFRESH_TOKEN_REUSE_INTERVAL": "soon"}, "REFRESH_TOKEN_REUSE_INTERVAL"},
		{"half TLS", map[string]string{"TLS_CERT_FILE": "app_test.go"}, "TLS_CERT_FILE and TLS_KEY_FILE"},
		{"bad proxy", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,nonsense"}, "TRUSTED_PROXIES"},
		{"bad origin", map[string]string{"CORS_ORIGIN": "app.example.com"}, "CORS_ORIGIN"},
		{"bad database url", map[string]string{"DATABASE_URL": "mysql://x", "REDIS_URL": "redis://x"}, "DATABASE_URL"},
		{"bad redis url", map[string]string{"REDIS_URL": "http://x", "DATABASE_URL": "postgres://x"}, "REDIS_URL"},
		{"bad redis cluster flag", map[string]string{"REDIS_CLUSTER": "maybe"}, "REDIS_CLUSTER"},
		{"bad redis cluster url", map[string]string{"REDIS_CLUSTER": "true", "REDIS_URL": "redis://h:6379?addr=h2:6379&nope=1", "DATABASE_URL": "postgres://x"}, "REDIS_URL"},
		{"bad rate", map[string]string{"RATE_LIMIT_TOKEN": "fifty"}, "RATE_LIMIT_TOKEN"},
		{"half bootstrap client", map[string]string{"BOOTSTRAP_ADMIN_CLIENT_ID": "x"}, "BOOTSTRAP_ADMIN_CLIENT_ID and"},
		{"short bootstrap secret", map[string]string{"BOOTSTRAP_ADMIN_CLIENT_ID": "x", "BOOTSTRAP_ADMIN_CLIENT_SECRET": "short"}, "at least 32"},
		{"unknown algorithm", map[string]string{"JWT_SIGNING_ALG": "none"}, "JWT_SIGNING_ALG"},
		{"webauthn rp id with a scheme", map[string]string{"WEBAUTHN_RP_ID": "https://id.example.com"}, "WEBAUTHN_RP_ID"},
		{"webauthn rp id that is an address", map[string]string{"WEBAUTHN_RP_ID": "127.0.0.1"}, "WEBAUTHN_RP_ID"},
		{"webauthn origin of another site", map[string]string{"WEBAUTHN_RP_ID": "localhost", "WEBAUTHN_ORIGINS": "https://evil.example"}, "WEBAUTHN_ORIGINS"},
		{"webauthn origin over http", map[string]string{"ISSUER_URL": "https://id.example.com", "WEBAUTHN_ORIGINS": "http://id.example.com"}, "WEBAUTHN_ORIGINS"},
		{"webauthn origin with a path", map[string]string{"WEBAUTHN_ORIGINS": "http://localhost:8080/login"}, "WEBAUTHN_ORIGINS"},
		{"webauthn origin suffix that is no subdomain", map[string]string{"ISSUER_URL": "https://example.com", "WEBAUTHN_ORIGINS": "https://evilexample.com"}, "WEBAUTHN_ORIGINS"},
		{"brand name too long", map[string]string{"BRAND_NAME": strings.Repeat("n", 65)}, "BRAND_NAME"},
		{"brand name with a control character", map[string]string{"BRAND_NAME": "Acme\nInc"}, "BRAND_NAME"},
		{"brand logo over http", map[string]string{"BRAND_LOGO_URL": "http://cdn.example.com/logo.svg"}, "BRAND_LOGO_URL"},
		{"brand logo with a quote", map[string]string{"BRAND_LOGO_URL": "https://cdn.example.com/\"onerror=x"}, "BRAND_LOGO_URL"},
		{"brand logo protocol-relative", map[string]string{"BRAND_LOGO_URL": "//cdn.example.com/logo.svg"}, "BRAND_LOGO_URL"},
		{"brand logo javascript", map[string]string{"BRAND_LOGO_URL": "javascript:alert(1)"}, "BRAND_LOGO_URL"},
		{"brand colour that ends the rule", map[string]string{"BRAND_PRIMARY_COLOR": "red}body{display:none"}, "BRAND_PRIMARY_COLOR"},
		{"brand colour by name", map[string]string{"BRAND_PRIMARY_COLOR": "red"}, "BRAND_PRIMARY_COLOR"},
		{"example secret in production", map[string]string{"APP_ENV": "production", "ISSUER_URL": "https://id.example.com", "JWT_SECRET": "EXAMPLE-change-me-Jwt-Signing-Key-0123456789!", "JWT_REFRESH_SECRET": apptest.JWTRefreshSecret}, "example value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := app.LoadConfig(lookup(tt.env))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Len(t, strings.Split(err.Error(), "\n"), 1, "one problem, one line")
		})
	}
}

func TestParseDuration(t *testing.T) {
	d, err := app.ParseDuration("7d")
	require.NoError(t, err)
	assert.Equal(t, 168*time.Hour, d)
	d, err = app.ParseDuration("90m")
	require.NoError(t, err)
	assert.Equal(t, 90*time.Minute, d)
	_, err = app.ParseDuration("xd")
	assert.Error(t, err)
}
