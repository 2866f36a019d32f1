package core_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
)

func TestAddressKey(t *testing.T) {
	tests := []struct {
		give, want string
	}{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:DB8:1:2:a:b:c:d", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, core.AddressKey(tt.give), tt.give)
	}
	assert.Equal(t, "addr:2001:db8:1:2::/64", core.DeviceAddressKey("2001:db8:1:2::99"))
	assert.NotEqual(t, core.DeviceCookieKey("a"), core.DeviceCookieKey("b"))
	assert.NotContains(t, core.DeviceCookieKey("secret-id"), "secret-id", "only a hash is stored")
}
