package core

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// ValidateRedirectURI checks a redirect URI for registration: absolute, no
// fragment (RFC 6749 §3.1.2), https, or http on a loopback host only
// (RFC 8252 §7.3, §8.3).
func ValidateRedirectURI(raw string) error {
	if len(raw) > 2000 {
		return errors.New("redirect URI is longer than 2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("redirect URI must be an absolute URI: " + raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("redirect URI must not contain a fragment: " + raw)
	}
	if u.User != nil {
		return errors.New("redirect URI must not contain user information: " + raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("redirect URI must use https (http only for loopback): " + raw)
	default:
		return errors.New("redirect URI must use https (http only for loopback): " + raw)
	}
}

// MatchRedirectURI compares a registered redirect URI with the one in a
// request by simple string comparison (RFC 6749 §3.1.2.3), except that the
// port of an http loopback IP literal may differ (RFC 8252 §7.3).
func MatchRedirectURI(registered, given string) bool {
	if registered == given {
		return true
	}
	r, err1 := url.Parse(registered)
	g, err2 := url.Parse(given)
	if err1 != nil || err2 != nil || r.Scheme != "http" || g.Scheme != "http" {
		return false
	}
	ip := net.ParseIP(r.Hostname())
	if ip == nil || !ip.IsLoopback() || r.Hostname() != g.Hostname() {
		return false
	}
	return r.EscapedPath() == g.EscapedPath() && r.RawQuery == g.RawQuery && g.Fragment == "" && g.User == nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
