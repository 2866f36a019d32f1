package http

import (
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies decides which address a request came from. The TCP peer is
// the client unless it is one of the trusted proxies; only then is
// X-Forwarded-For read, from the right, skipping hops that are themselves
// trusted, so the first untrusted address is the client. Entries a client
// wrote to the left of that cannot move it: a spoofed header from an
// untrusted peer changes nothing.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// NewTrustedProxies returns the resolver for the given networks (the
// TRUSTED_PROXIES setting); none means X-Forwarded-For is never read.
func NewTrustedProxies(prefixes []netip.Prefix) *TrustedProxies {
	return &TrustedProxies{prefixes: prefixes}
}

func (p *TrustedProxies) trusted(a netip.Addr) bool {
	for _, pr := range p.prefixes {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the client address of a request whose TCP peer is
// remoteAddr ("host:port", as in http.Request.RemoteAddr) and whose
// X-Forwarded-For header lines are xff, in order.
func (p *TrustedProxies) ClientIP(remoteAddr string, xff []string) string {
	peer, ok := parseHop(remoteAddr)
	if !ok {
		return hostOf(remoteAddr)
	}
	if len(p.prefixes) == 0 || len(xff) == 0 || !p.trusted(peer) {
		return addrString(peer, remoteAddr)
	}
	client := peer
	for i := len(xff) - 1; i >= 0; i-- {
		line := xff[i]
		for line != "" {
			var hop string
			if j := strings.LastIndexByte(line, ','); j >= 0 {
				hop, line = line[j+1:], line[:j]
			} else {
				hop, line = line, ""
			}
			hop = strings.TrimSpace(hop)
			if hop == "" {
				continue
			}
			a, ok := parseHop(hop)
			if !ok {
				// Whatever the last trusted hop received from cannot be
				// read: it is the best address we know.
				return client.String()
			}
			client = a
			if !p.trusted(a) {
				return a.String()
			}
		}
	}
	return client.String()
}

func (p *TrustedProxies) fromRequest(r *http.Request) string {
	if len(p.prefixes) == 0 {
		return hostOf(r.RemoteAddr)
	}
	return p.ClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
}

// parseHop reads an address as a proxy writes it: "1.2.3.4", "1.2.3.4:5678"
// (Azure App Service adds the port), "::1" or "[::1]:5678".
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// addrString avoids formatting the peer again when RemoteAddr already holds
// it in canonical form.
func addrString(a netip.Addr, remoteAddr string) string {
	if h := hostOf(remoteAddr); a.Is4() && !strings.Contains(h, ":") {
		return h
	}
	return a.String()
}

// hostOf strips the port of a "host:port" without allocating.
func hostOf(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.HasSuffix(hostport, "]") {
		h := hostport[:i]
		if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
			return h[1 : len(h)-1]
		}
		return h
	}
	return hostport
}
