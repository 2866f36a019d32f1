package core_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
)

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name      string
		give      string
		giveEmail string
		want      string
	}{
		{"empty", "", "", "is required"},
		{"seven bytes", "Abc!234", "", "must be at least 8 characters"},
		{"eight bytes", "kT7#qpLw", "", ""},
		{"72 bytes", strings.Repeat("aB3$", 18), "", ""},
		{"73 bytes", strings.Repeat("aB3$", 18) + "x", "", "must be at most 72 bytes (bcrypt reads no further)"},
		{"multi-byte over 72 bytes", strings.Repeat("é", 37), "", "must be at most 72 bytes (bcrypt reads no further)"},
		{"common", "password123", "", "is one of the most commonly used passwords; choose another"},
		{"common in other case", "PassWord123", "", "is one of the most commonly used passwords; choose another"},
		{"the email", "Ada@Example.com", "ada@example.com", "must not be the email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, core.ValidatePassword(tt.give, tt.giveEmail))
		})
	}
}

func TestIsCommonPassword(t *testing.T) {
	for _, pw := range []string{"123456", "qwerty", "iloveyou", "letmein"} {
		assert.True(t, core.IsCommonPassword(pw), pw)
	}
	assert.False(t, core.IsCommonPassword("correct horse battery staple"))
}
