package core_test

import (
	"strings"
	"testing"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/test/fuzzcost"
)

// Fuzz targets for the core's parsers of outside input: scope strings,
// redirect URIs and PKCE values. Each checks that one input costs bounded
// time and that what is accepted obeys the parser's own rules. Seeds live
// in testdata/fuzz; make fuzz runs each for a few seconds.

func FuzzParseScope(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		fuzzcost.Within(t, "ParseScope", func() {
			got, err := core.ParseScope(s)
			if err != nil {
				return
			}
			if len(s) > core.MaxScopeBytes || len(got) > core.MaxScopeNames {
				t.Fatalf("accepted %d bytes naming %d scopes", len(s), len(got))
			}
			seen := map[string]bool{}
			for _, sc := range got {
				if !core.ValidScopeToken(sc) || seen[sc] {
					t.Fatalf("accepted %q in %q", sc, s)
				}
				seen[sc] = true
			}
			again, err := core.ParseScope(core.JoinScope(got))
			if err != nil || core.JoinScope(again) != core.JoinScope(got) {
				t.Fatalf("round trip of %q: %v", s, err)
			}
		})
	})
}

func FuzzRedirectURI(f *testing.F) {
	f.Fuzz(func(t *testing.T, registered, given string) {
		fuzzcost.Within(t, "redirect URI", func() {
			regOK := core.ValidateRedirectURI(registered) == nil
			matched := core.MatchRedirectURI(registered, given)
			if regOK && matched && strings.Contains(given, "#") {
				t.Fatalf("%q matched %q, which has a fragment", given, registered)
			}
			if regOK && !core.MatchRedirectURI(registered, registered) {
				t.Fatalf("a registered URI does not match itself: %q", registered)
			}
			if regOK && strings.ContainsAny(registered, "#\x00") {
				t.Fatalf("accepted a fragment or NUL: %q", registered)
			}
		})
	})
}

func FuzzPKCE(f *testing.F) {
	f.Fuzz(func(t *testing.T, verifier, challenge string) {
		fuzzcost.Within(t, "PKCE", func() {
			if core.ValidPKCEVerifier(verifier) && (len(verifier) < 43 || len(verifier) > 128) {
				t.Fatalf("accepted a verifier of %d characters", len(verifier))
			}
			if core.ValidPKCEChallenge(challenge) && len(challenge) != 43 {
				t.Fatalf("accepted a challenge of %d characters", len(challenge))
			}
			if core.VerifyPKCE(challenge, verifier) && !core.ValidPKCEChallenge(challenge) {
				t.Fatalf("verified against a malformed challenge %q", challenge)
			}
		})
	})
}
