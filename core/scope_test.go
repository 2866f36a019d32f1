package core_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

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
		{"100 names", names(100), strings.Fields(names(100)), false},
		{"101 names refused", names(101), nil, true},
		{"repeats count once", strings.Repeat("a b ", 1000), []string{"a", "b"}, false},
		{"over 4096 bytes refused", strings.Repeat("a ", 2049), nil, true},
		{"100,000 names refused", names(100000), nil, true},
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

// names is "z0 z1 ... z(n-1)", the shape of issue 10's request.
func names(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "z%d", i)
	}
	return b.String()
}

// The parser is linear: a parameter at the bounds costs microseconds, and
// an enormous one is refused without being walked.
func TestParseScopeCostIsBounded(t *testing.T) {
	for _, give := range []string{names(100), strings.Repeat("a ", core.MaxScopeBytes/2), names(100000)} {
		start := time.Now()
		for range 100 {
			_, _ = core.ParseScope(give)
		}
		assert.Less(t, time.Since(start), time.Second, "100 parses of %d bytes", len(give))
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
