package core_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
)

// TestTOTPRFC6238Vectors checks the SHA-1 rows of RFC 6238 Appendix B
// (eight digits, the RFC's seed), and that the six-digit code is their
// last six digits (RFC 4226 §5.3 truncation modulo 10^6).
func TestTOTPRFC6238Vectors(t *testing.T) {
	t.Parallel()
	secret := []byte("12345678901234567890")
	tests := []struct {
		give int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tt := range tests {
		step := core.TOTPStep(time.Unix(tt.give, 0))
		assert.Equal(t, tt.want, core.HOTP(secret, uint64(step), 8), "T=%d", tt.give)
		assert.Equal(t, tt.want[2:], core.TOTPAt(secret, step), "T=%d six digits", tt.give)
	}
}

func TestVerifyTOTP(t *testing.T) {
	t.Parallel()
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	step := core.TOTPStep(now)
	tests := []struct {
		name     string
		giveCode string
		giveLast int64
		wantStep int64
		wantOK   bool
	}{
		{"current step", core.TOTPAt(secret, step), 0, step, true},
		{"one step behind", core.TOTPAt(secret, step-1), 0, step - 1, true},
		{"one step ahead", core.TOTPAt(secret, step+1), 0, step + 1, true},
		{"two steps behind", core.TOTPAt(secret, step-2), 0, 0, false},
		{"two steps ahead", core.TOTPAt(secret, step+2), 0, 0, false},
		{"replay of the step used", core.TOTPAt(secret, step), step, 0, false},
		{"earlier step after a later one", core.TOTPAt(secret, step-1), step, 0, false},
		{"later step after an earlier one", core.TOTPAt(secret, step+1), step, step + 1, true},
		{"spaces around", " " + core.TOTPAt(secret, step) + " ", 0, step, true},
		{"five digits", core.TOTPAt(secret, step)[1:], 0, 0, false},
		{"letters", "12a456", 0, 0, false},
		{"empty", "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := core.VerifyTOTP(secret, tt.giveCode, now, tt.giveLast)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantStep, got)
		})
	}
}

func TestTOTPURI(t *testing.T) {
	t.Parallel()
	uri := core.TOTPURI("identityd", "ada@example.com", []byte("12345678901234567890"))
	assert.Equal(t, "otpauth://totp/identityd:ada@example.com?algorithm=SHA1&digits=6&issuer=identityd&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", uri)
}

func TestACR(t *testing.T) {
	t.Parallel()
	assert.Equal(t, core.ACRPassword, core.ACR([]string{"pwd"}))
	assert.Equal(t, core.ACRMFA, core.ACR(core.AMRWithSecondFactor(core.AMROTP)))
	assert.Equal(t, core.ACRMFA, core.ACR([]string{"hwk", "user", "mfa"}))
	assert.True(t, core.NeedsMFA([]string{"admin"}, []string{"admin"}))
	assert.False(t, core.NeedsMFA([]string{"x"}, []string{"admin"}))
	assert.False(t, core.NeedsMFA([]string{"admin"}, nil))
}
