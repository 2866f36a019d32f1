package app_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/app/apptest"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

func TestConfigSigningKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pemFor := func(alg string) []byte {
		data, err := jwt.GeneratePEM(alg)
		require.NoError(t, err)
		return data
	}
	rsaSmall, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	require.NoError(t, err)
	files := map[string]string{
		"rs256":  writeFile(t, dir, "rs256.pem", pemFor(jwt.RS256)),
		"es256":  writeFile(t, dir, "es256.pem", pemFor(jwt.ES256)),
		"sec1":   writeFile(t, dir, "sec1.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})),
		"eddsa":  writeFile(t, dir, "eddsa.pem", pemFor(jwt.EdDSA)),
		"rsa1k":  writeFile(t, dir, "rsa1k.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaSmall)})),
		"broken": writeFile(t, dir, "broken.pem", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")),
		"text":   writeFile(t, dir, "text.pem", []byte("not a key\n")),
	}
	tests := []struct {
		name     string
		giveAlg  string
		giveFile string
		wantErr  string // empty: accepted
	}{
		{"HS256 by default", "", "", ""},
		{"RS256 from the store", jwt.RS256, "", ""},
		{"ES256 from the store", jwt.ES256, "", ""},
		{"EdDSA from the store", jwt.EdDSA, "", ""},
		{"RS256 PKCS#8 file", jwt.RS256, files["rs256"], ""},
		{"ES256 PKCS#8 file", jwt.ES256, files["es256"], ""},
		{"ES256 SEC 1 file", jwt.ES256, files["sec1"], ""},
		{"EdDSA PKCS#8 file", jwt.EdDSA, files["eddsa"], ""},
		{"unknown algorithm", "RS512", "", "JWT_SIGNING_ALG: must be HS256, RS256, ES256 or EdDSA"},
		{"lower-case algorithm", "es256", "", "JWT_SIGNING_ALG"},
		{"file with HS256", "HS256", files["es256"], "JWT_PRIVATE_KEY_FILE: only used with"},
		{"missing file", jwt.ES256, filepath.Join(dir, "absent.pem"), "JWT_PRIVATE_KEY_FILE: cannot read"},
		{"not PEM", jwt.ES256, files["text"], "JWT_PRIVATE_KEY_FILE"},
		{"broken key", jwt.ES256, files["broken"], "JWT_PRIVATE_KEY_FILE"},
		{"RSA key for ES256", jwt.ES256, files["rs256"], "JWT_PRIVATE_KEY_FILE"},
		{"EC key for EdDSA", jwt.EdDSA, files["es256"], "JWT_PRIVATE_KEY_FILE"},
		{"RSA of 1024 bits", jwt.RS256, files["rsa1k"], "at least 2048 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := apptest.Env(8080, map[string]string{"JWT_SIGNING_ALG": tt.giveAlg, "JWT_PRIVATE_KEY_FILE": tt.giveFile})
			cfg, err := loadConfig(env)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.giveFile != "", cfg.Tokens.PrivateKey != nil)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Len(t, strings.Split(err.Error(), "\n"), 1, "one problem, one line")
			assert.NotContains(t, err.Error(), "BEGIN", "no key material in the message")
		})
	}
}

func loadConfig(env map[string]string) (app.Config, error) { return app.LoadConfig(lookup(env)) }

func TestConfigKeyRotation(t *testing.T) {
	t.Parallel()
	const prev = "Previous-Secret-0123456789-abcdefgh!"
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // empty: accepted
	}{
		{"previous secret under HS256", map[string]string{"JWT_SECRET_PREVIOUS": prev}, ""},
		{"previous secret too weak", map[string]string{"JWT_SECRET_PREVIOUS": "short"}, "JWT_SECRET_PREVIOUS: must be at least 32 characters"},
		{"previous secret with RS256", map[string]string{"JWT_SECRET_PREVIOUS": prev, "JWT_SIGNING_ALG": "RS256"}, "JWT_SECRET_PREVIOUS: only used with JWT_SIGNING_ALG HS256"},
		{"previous refresh secret", map[string]string{"JWT_REFRESH_SECRET_PREVIOUS": prev}, ""},
		{"previous refresh secret under RS256", map[string]string{"JWT_REFRESH_SECRET_PREVIOUS": prev, "JWT_SIGNING_ALG": "RS256"}, ""},
		{"previous refresh secret too weak", map[string]string{"JWT_REFRESH_SECRET_PREVIOUS": "short-Secret-1!"}, "JWT_REFRESH_SECRET_PREVIOUS: must be at least 32 characters"},
		{"previous refresh secret without a digit", map[string]string{"JWT_REFRESH_SECRET_PREVIOUS": "Previous-Secret-abcdefghijklmnopqrstuv!"}, "JWT_REFRESH_SECRET_PREVIOUS: must contain a digit"},
		{"previous refresh secret is the example", map[string]string{"JWT_REFRESH_SECRET_PREVIOUS": "EXAMPLE-change-me-Refresh-Hash-Key-9876543210#"}, "JWT_REFRESH_SECRET_PREVIOUS: is the example value"},
		{"previous refresh secret equals the current", map[string]string{"JWT_REFRESH_SECRET_PREVIOUS": apptest.JWTRefreshSecret}, "JWT_REFRESH_SECRET_PREVIOUS: must differ from JWT_REFRESH_SECRET"},
		{"previous refresh secret equals JWT_SECRET", map[string]string{"JWT_REFRESH_SECRET_PREVIOUS": apptest.JWTSecret}, "JWT_REFRESH_SECRET_PREVIOUS: must differ from JWT_SECRET"},
		{"previous refresh secret equals JWT_SECRET_PREVIOUS", map[string]string{"JWT_REFRESH_SECRET_PREVIOUS": prev, "JWT_SECRET_PREVIOUS": prev}, "JWT_REFRESH_SECRET_PREVIOUS: must differ from JWT_SECRET_PREVIOUS"},
		{"next secrets", map[string]string{"JWT_SECRET_NEXT": prev, "JWT_REFRESH_SECRET_NEXT": "Next-Refresh-Secret-0123456789-abcd!"}, ""},
		{"next secret with RS256", map[string]string{"JWT_SECRET_NEXT": prev, "JWT_SIGNING_ALG": "RS256"}, "JWT_SECRET_NEXT: only used with JWT_SIGNING_ALG HS256"},
		{"next secret too weak", map[string]string{"JWT_SECRET_NEXT": "short"}, "JWT_SECRET_NEXT: must be at least 32 characters"},
		{"next secret equals the current", map[string]string{"JWT_SECRET_NEXT": apptest.JWTSecret}, "JWT_SECRET_NEXT: must differ from JWT_SECRET"},
		{"next refresh secret equals the current", map[string]string{"JWT_REFRESH_SECRET_NEXT": apptest.JWTRefreshSecret}, "JWT_REFRESH_SECRET_NEXT: must differ from JWT_REFRESH_SECRET"},
		{"next refresh secret equals the next secret", map[string]string{"JWT_REFRESH_SECRET_NEXT": prev, "JWT_SECRET_NEXT": prev}, "JWT_REFRESH_SECRET_NEXT: must differ from JWT_SECRET_NEXT"},
		{"next refresh secret equals the previous one", map[string]string{"JWT_REFRESH_SECRET_NEXT": prev, "JWT_REFRESH_SECRET_PREVIOUS": prev}, "JWT_REFRESH_SECRET_NEXT: must differ from JWT_REFRESH_SECRET_PREVIOUS"},
		{"rotation interval in days", map[string]string{"SIGNING_KEY_ROTATION_INTERVAL": "90d"}, ""},
		{"rotation interval too short", map[string]string{"SIGNING_KEY_ROTATION_INTERVAL": "10s"}, "SIGNING_KEY_ROTATION_INTERVAL: must be at least 1m"},
		{"rotation interval not a duration", map[string]string{"SIGNING_KEY_ROTATION_INTERVAL": "soon"}, "SIGNING_KEY_ROTATION_INTERVAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(apptest.Env(8080, tt.env))
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), prev, "no secret in the message")
			_ = cfg
		})
	}
}

// `identityd keys reseal` and `keys status` read the database and the two
// refresh secrets, each required where a random value would name no key.
func TestLoadKeysConfig(t *testing.T) {
	t.Parallel()
	const prev = "Previous-Refresh-0123456789-abcdefgh!"
	full := map[string]string{"DATABASE_URL": "postgres://db/identityd", "JWT_REFRESH_SECRET": apptest.JWTRefreshSecret, "JWT_REFRESH_SECRET_PREVIOUS": prev}
	without := func(name string) map[string]string {
		env := map[string]string{}
		for k, v := range full {
			if k != name {
				env[k] = v
			}
		}
		return env
	}
	tests := []struct {
		name         string
		env          map[string]string
		withPrevious bool
		wantErr      string // empty: accepted
	}{
		{"reseal", full, true, ""},
		{"status", full, false, ""},
		{"status without a previous secret", without("JWT_REFRESH_SECRET_PREVIOUS"), false, ""},
		{"reseal without a previous secret", without("JWT_REFRESH_SECRET_PREVIOUS"), true, "JWT_REFRESH_SECRET_PREVIOUS: is required"},
		{"without the secret", without("JWT_REFRESH_SECRET"), false, "JWT_REFRESH_SECRET: is required"},
		{"without a database", without("DATABASE_URL"), false, "DATABASE_URL: is required"},
		{"a weak previous secret", map[string]string{"DATABASE_URL": "postgres://db", "JWT_REFRESH_SECRET": apptest.JWTRefreshSecret, "JWT_REFRESH_SECRET_PREVIOUS": "weak"}, true, "JWT_REFRESH_SECRET_PREVIOUS: must be at least 32 characters"},
		{"the same secret twice", map[string]string{"DATABASE_URL": "postgres://db", "JWT_REFRESH_SECRET": prev, "JWT_REFRESH_SECRET_PREVIOUS": prev}, true, "must differ from JWT_REFRESH_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc, err := app.LoadKeysConfig(lookup(tt.env), tt.withPrevious)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, []byte(tt.env["JWT_REFRESH_SECRET"]), kc.RefreshSecret)
				if p, ok := tt.env["JWT_REFRESH_SECRET_PREVIOUS"]; ok {
					assert.Equal(t, []byte(p), kc.PreviousRefreshSecret)
				} else {
					assert.Nil(t, kc.PreviousRefreshSecret)
				}
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), prev, "no secret in the message")
		})
	}
}
