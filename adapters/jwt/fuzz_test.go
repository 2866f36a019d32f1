package jwt_test

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/test/fuzzcost"
)

// FuzzVerify feeds arbitrary bearer tokens to the HS256 keyring and an
// EdDSA signer: nothing is accepted that the server did not sign (the
// seeds include one it did, and mutations of it), and one token costs
// bounded time. Seeds live in testdata/fuzz; make fuzz runs it for a few
// seconds.
func FuzzVerify(f *testing.F) {
	ring := jwt.NewHMACKeyring([]byte("Fuzz-Secret-0123456789-abcdefghijk!"), nil)
	ed, err := jwt.NewAsymmetric(jwt.EdDSA, ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	valid, err := ring.Sign(ctx, token())
	if err != nil {
		f.Fatal(err)
	}
	validEd, err := ed.Sign(ctx, token())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(validEd)
	f.Fuzz(func(t *testing.T, raw string) {
		var errHS, errEd error
		fuzzcost.Within(t, "Verify", func() {
			_, errHS = ring.Verify(ctx, raw)
			_, errEd = ed.Verify(ctx, raw)
		})
		if errHS == nil && raw != valid {
			t.Fatalf("HS256 accepted a token it did not sign: %q", raw)
		}
		if errEd == nil && raw != validEd {
			t.Fatalf("EdDSA accepted a token it did not sign: %q", raw)
		}
	})
}
