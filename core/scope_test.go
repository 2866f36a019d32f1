package core_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []string
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"one", "read", []string{"read"}, false},
		{"several keep order", "b a c", []string{"b", "a", "c"}, false},
		{"duplicates dropped", "a b a", []string{"a", "b"}, false},
		{"extra spaces", " a  b ", []string{"a", "b"}, false},
		{"punctuation allowed", "orders:read https://api.example/x", []string{"orders:read", "https://api.example/x"}, false},
		{"double quote refused", `a"b`, nil, true},
		{"backslash refused", `a\b`, nil, true},
		{"control refused", "a\tb", nil, true},
		{"non-ascii refused", "größe", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := core.ParseScope(tt.give)
			if tt.wantErr {
				var oe *core.OAuthError
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, core.CodeInvalidScope, oe.Code)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNarrowScope(t *testing.T) {
	allowed := []string{"a", "b", "c"}
	got, err := core.NarrowScope(nil, allowed)
	require.NoError(t, err)
	assert.Equal(t, allowed, got, "no request grants everything allowed")
	got, err = core.NarrowScope([]string{"b"}, allowed)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, got)
	_, err = core.NarrowScope([]string{"b", "z"}, allowed)
	var oe *core.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, core.CodeInvalidScope, oe.Code)
	assert.True(t, core.HasScopes([]string{"a", "b"}, "b", "a"))
	assert.False(t, core.HasScopes([]string{"a"}, "a", "b"))
}

func TestValidateScope(t *testing.T) {
	assert.NoError(t, core.ValidateScope(core.Scope{Name: "orders:read"}))
	err := core.ValidateScope(core.Scope{Name: "has space", Description: string(make([]byte, 2000))})
	var ve *core.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, ve.Fields, "name")
	assert.Contains(t, ve.Fields, "description")
	assert.Contains(t, ve.Error(), "name: ")
}

func BenchmarkParseScope(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := core.ParseScope("orders:read orders:write reports:read"); err != nil {
			b.Fatal(err)
		}
	}
}
