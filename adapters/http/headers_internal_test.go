package http

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// formsTo allows exactly the target's origin in form-action, and never
// lets a registered URI write another directive into the header.
func TestFormsToAllowsExactlyTheTargetOrigin(t *testing.T) {
	h := newSecurityHeaders(false, "")
	tests := []struct {
		name, give, want string
	}{
		{"https", "https://app.example.com/signed-out?x=1", "form-action 'self' https://app.example.com"},
		{"port kept", "http://127.0.0.1:8080/out", "form-action 'self' http://127.0.0.1:8080"},
		{"case folded", "HTTPS://App.Example.com/out", "form-action 'self' https://app.example.com"},
		{"private-use scheme", "com.example.app:/logout", "form-action 'self' com.example.app:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := h.formsTo(tt.give)
			assert.Contains(t, policy, tt.want)
			assert.Equal(t, 1, strings.Count(policy, "form-action"))
			assert.Contains(t, policy, "frame-ancestors 'none'", "the rest of the policy stays")
		})
	}
	for _, bad := range []string{"https://a.example.com;script-src *@x/", "https:///path", "not a url", "%zz"} {
		policy := h.formsTo(bad)
		assert.NotContains(t, policy, "form-action", bad)
		assert.NotContains(t, policy, "script-src *", bad)
	}
}
