package jwt_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/core"
)

func token() core.AccessToken {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return core.AccessToken{
		JTI: "j1", Issuer: "http://localhost:8080", Subject: "svc", Audience: []string{"http://localhost:8080"},
		ClientID: "svc", Scopes: []string{"a", "b"}, IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute),
	}
}

func TestHS256RoundTrip(t *testing.T) {
	s := jwt.NewHS256([]byte("k"))
	raw, err := s.Sign(context.Background(), token())
	require.NoError(t, err)
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	var h map[string]string
	require.NoError(t, json.Unmarshal(header, &h))
	assert.Equal(t, "at+jwt", h["typ"])
	assert.Equal(t, "HS256", h["alg"])
	got, err := s.Verify(context.Background(), raw)
	require.NoError(t, err)
	assert.Equal(t, token(), got)
}

func TestHS256Rejects(t *testing.T) {
	s := jwt.NewHS256([]byte("k"))
	other, err := jwt.NewHS256([]byte("other")).Sign(context.Background(), token())
	require.NoError(t, err)
	none := gojwt.NewWithClaims(gojwt.SigningMethodNone, gojwt.MapClaims{"jti": "x", "exp": 9999999999, "client_id": "c"})
	none.Header["typ"] = "at+jwt"
	noneRaw, err := none.SignedString(gojwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	plain := gojwt.NewWithClaims(gojwt.SigningMethodHS256, gojwt.MapClaims{"jti": "x", "exp": 9999999999, "client_id": "c"})
	plainRaw, err := plain.SignedString([]byte("k"))
	require.NoError(t, err)
	tests := []struct {
		name string
		give string
	}{
		{"another key", other},
		{"alg none", noneRaw},
		{"typ JWT instead of at+jwt", plainRaw},
		{"garbage", "not.a.jwt"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Verify(context.Background(), tt.give)
			var oe *core.OAuthError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, core.CodeInvalidToken, oe.Code)
		})
	}
}

func BenchmarkHS256Sign(b *testing.B) {
	s := jwt.NewHS256([]byte("0123456789abcdef0123456789abcdef"))
	t := token()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(context.Background(), t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHS256Verify(b *testing.B) {
	s := jwt.NewHS256([]byte("0123456789abcdef0123456789abcdef"))
	raw, _ := s.Sign(context.Background(), token())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(context.Background(), raw); err != nil {
			b.Fatal(err)
		}
	}
}
