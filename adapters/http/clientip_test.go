package http_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	httpadapter "github.com/identityd/identityd/adapters/http"
)

func TestTrustedProxiesClientIP(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name       string
		giveProxy  []netip.Prefix
		giveRemote string
		giveXFF    []string
		want       string
	}{
		{"no proxies configured: header ignored", nil, "203.0.113.7:4000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"untrusted peer: spoofed header ignored", proxies, "203.0.113.7:4000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted peer without header", proxies, "10.1.2.3:4000", nil, "10.1.2.3"},
		{"trusted peer: rightmost hop is the client", proxies, "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client-written entries left of the real one are ignored", proxies, "10.1.2.3:4000", []string{"1.1.1.1, 2.2.2.2, 198.51.100.1"}, "198.51.100.1"},
		{"trusted hops are skipped", proxies, "10.1.2.3:4000", []string{"198.51.100.1, 10.9.9.9", "10.8.8.8"}, "198.51.100.1"},
		{"every hop trusted: the leftmost", proxies, "10.1.2.3:4000", []string{"10.7.7.7, 10.8.8.8"}, "10.7.7.7"},
		{"port written by the proxy (Azure)", proxies, "10.1.2.3:4000", []string{"198.51.100.1:51234"}, "198.51.100.1"},
		{"IPv6 hop with port", proxies, "[fd00::1]:4000", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv6 hop", proxies, "10.1.2.3:4000", []string{"2001:db8::2"}, "2001:db8::2"},
		{"unreadable hop: the last trusted address", proxies, "10.1.2.3:4000", []string{"198.51.100.1, garbage"}, "10.1.2.3"},
		{"IPv4-mapped peer", proxies, "[::ffff:10.1.2.3]:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"empty entries skipped", proxies, "10.1.2.3:4000", []string{"198.51.100.1, , "}, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := httpadapter.NewTrustedProxies(tt.giveProxy).ClientIP(tt.giveRemote, tt.giveXFF)
			assert.Equal(t, tt.want, got)
		})
	}
}
