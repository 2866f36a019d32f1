package integration_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/app/apptest"
)

type jwksDoc struct {
	Keys []map[string]string `json:"keys"`
}

func b64url(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// tokenHeader returns the decoded JOSE header of a compact JWS.
func tokenHeader(t *testing.T, raw string) map[string]string {
	t.Helper()
	return decode[map[string]string](t, b64url(t, strings.Split(raw, ".")[0]))
}

// fetchJWKS reads the server's key set.
func fetchJWKS(t *testing.T, s *apptest.Server) (jwksDoc, []byte) {
	t.Helper()
	resp, body := s.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "json")
	return decode[jwksDoc](t, body), body
}

// verifyWithJWKS checks raw's signature with the key of the set its kid
// names, using the standard library only.
func verifyWithJWKS(t *testing.T, set jwksDoc, raw string) bool {
	t.Helper()
	kid := tokenHeader(t, raw)["kid"]
	var k map[string]string
	for _, c := range set.Keys {
		if c["kid"] == kid {
			k = c
		}
	}
	require.NotNil(t, k, "the JWKS has the token's kid %q", kid)
	last := strings.LastIndexByte(raw, '.')
	input, sig := []byte(raw[:last]), b64url(t, raw[last+1:])
	digest := sha256.Sum256(input)
	switch k["kty"] {
	case "RSA":
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(b64url(t, k["n"])), E: int(new(big.Int).SetBytes(b64url(t, k["e"])).Int64())}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	case "EC":
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, b64url(t, k["x"])...), b64url(t, k["y"])...))
		require.NoError(t, err)
		return len(sig) == 64 && ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case "OKP":
		return ed25519.Verify(ed25519.PublicKey(b64url(t, k["x"])), input, sig)
	}
	t.Fatalf("unexpected kty %q", k["kty"])
	return false
}

func TestAsymmetricSigning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alg     string
		wantKty string
	}{
		{jwt.RS256, "RSA"},
		{jwt.ES256, "EC"},
		{jwt.EdDSA, "OKP"},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			t.Parallel()
			s := apptest.Start(t, map[string]string{"JWT_SIGNING_ALG": tt.alg})
			id, secret := newServiceClient(t, s, "orders:read")
			tr := s.ClientCredentials(t, id, secret, "orders:read")
			require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)

			h := tokenHeader(t, tr.AccessToken)
			assert.Equal(t, tt.alg, h["alg"])
			assert.Equal(t, "at+jwt", h["typ"])
			require.NotEmpty(t, h["kid"])

			set, _ := fetchJWKS(t, s)
			require.Len(t, set.Keys, 3, "one active key per asymmetric algorithm")
			var k map[string]string
			for _, c := range set.Keys {
				assert.NotContains(t, c, "d", "no private member")
				if c["kid"] == h["kid"] {
					k = c
				}
			}
			require.NotNil(t, k, "the token's key is published")
			assert.Equal(t, tt.wantKty, k["kty"])
			assert.Equal(t, tt.alg, k["alg"])
			assert.Equal(t, "sig", k["use"])
			assert.True(t, verifyWithJWKS(t, set, tr.AccessToken), "the published key verifies the token")

			got := introspect(t, s, id, secret, tr.AccessToken)
			assert.Equal(t, true, got["active"])
			assert.Equal(t, id, got["client_id"])
			assert.Equal(t, "orders:read", got["scope"])

			parts := strings.Split(tr.AccessToken, ".")
			forged := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, len(b64url(t, parts[2]))))
			assert.Equal(t, false, introspect(t, s, id, secret, forged)["active"])
			resp, _ := s.Do(t, http.MethodGet, "/api/clients", tr.AccessToken, nil)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a valid token without the scope")
			resp, _ = s.Do(t, http.MethodGet, "/api/clients", forged, nil)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		})
	}
}

// A key given in JWT_PRIVATE_KEY_FILE is the one published.
func TestSigningKeyFromFile(t *testing.T) {
	t.Parallel()
	data, err := jwt.GeneratePEM(jwt.EdDSA)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "signing.pem")
	require.NoError(t, os.WriteFile(file, data, 0o600))
	want, err := jwt.NewAsymmetricPEM(jwt.EdDSA, data)
	require.NoError(t, err)

	s := apptest.Start(t, map[string]string{"JWT_SIGNING_ALG": jwt.EdDSA, "JWT_PRIVATE_KEY_FILE": file})
	set, body := fetchJWKS(t, s)
	assert.Contains(t, string(body), strings.TrimSuffix(strings.TrimPrefix(string(want.JWKS()), `{"keys":[`), `]}`))
	raw := s.AdminToken(t)
	assert.Equal(t, want.KeyID(), tokenHeader(t, raw)["kid"])
	assert.True(t, verifyWithJWKS(t, set, raw))
	_, err = want.Verify(t.Context(), raw)
	assert.NoError(t, err)
}

// Two servers on one database, each generating on start, end up with one
// key: each publishes it and accepts the other's tokens. They share an
// issuer, as instances behind one load balancer do.
func TestInstancesShareTheGeneratedKey(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{jwt.RS256, jwt.ES256, jwt.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			redisURL, prefix := redistest.New(t)
			env := map[string]string{
				"JWT_SIGNING_ALG": alg, "ISSUER_URL": "http://identityd.test", "DATABASE_URL": pgtest.NewSchema(t),
				"REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix,
			}
			a := apptest.Start(t, env)
			b := apptest.Start(t, env)

			setA, bodyA := fetchJWKS(t, a)
			_, bodyB := fetchJWKS(t, b)
			require.Len(t, setA.Keys, 3)
			assert.JSONEq(t, string(bodyA), string(bodyB), "both publish the same key")

			id, secret := newServiceClient(t, a, "orders:read")
			fromA := a.ClientCredentials(t, id, secret, "orders:read")
			require.Equal(t, http.StatusOK, fromA.Status, fromA.ErrorDescription)
			fromB := b.ClientCredentials(t, id, secret, "orders:read")
			require.Equal(t, http.StatusOK, fromB.Status, fromB.ErrorDescription)
			assert.Equal(t, tokenHeader(t, fromA.AccessToken)["kid"], tokenHeader(t, fromB.AccessToken)["kid"])

			assert.Equal(t, true, introspect(t, b, id, secret, fromA.AccessToken)["active"], "b accepts a's token")
			assert.Equal(t, true, introspect(t, a, id, secret, fromB.AccessToken)["active"], "a accepts b's token")
			resp, body := b.Do(t, http.MethodGet, "/api/clients", a.AdminToken(t), nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			resp, body = a.Do(t, http.MethodGet, "/api/clients", b.AdminToken(t), nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))

			// A third start finds the stored key.
			c := apptest.Start(t, env)
			_, bodyC := fetchJWKS(t, c)
			assert.JSONEq(t, string(bodyA), string(bodyC))
		})
	}
}
