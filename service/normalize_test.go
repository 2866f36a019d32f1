package service

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const (
	nfc = "Pässwörter-für-Ärzte-2026"
	nfd = "Pa\u0308sswo\u0308rter-fu\u0308r-A\u0308rzte-2026"
)

func TestNormalizePassword(t *testing.T) {
	tests := []struct {
		name   string
		give   string
		want   string
		wantOK bool
	}{
		{"ASCII unchanged", "Correct-Horse-9", "Correct-Horse-9", true},
		{"NFD composes", nfd, nfc, true},
		{"NFC unchanged", nfc, nfc, true},
		{"no-break space becomes a space", "open\u00a0sesame-42", "open sesame-42", true},
		{"ideographic space becomes a space", "open\u3000sesame-42", "open sesame-42", true},
		{"case is kept", "ÄRZTE-ärzte", "ÄRZTE-ärzte", true},
		{"fullwidth is kept (OpaqueString maps no width)", "ｐａｓｓ", "ｐａｓｓ", true},
		{"control character refused", "pass\u0007word-1", "", false},
		{"empty stays empty", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := normalizePassword(tt.give)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPasswordCandidates(t *testing.T) {
	assert.Equal(t, []string{"Correct-Horse-9"}, passwordCandidates("Correct-Horse-9"), "one bcrypt comparison for the usual case")
	assert.Equal(t, []string{nfc}, passwordCandidates(nfc))
	assert.Equal(t, []string{nfc, nfd}, passwordCandidates(nfd), "the normalised form, then the text as typed (accounts from before)")
	assert.Equal(t, []string{"pass\u0007word-1"}, passwordCandidates("pass\u0007word-1"), "refused by the profile: compared as typed only")
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		name   string
		give   string
		want   string
		wantOK bool
	}{
		{"lower case", "Ada@Example.COM", "ada@example.com", true},
		{"trimmed", "  ada@example.com\t", "ada@example.com", true},
		{"NFD composes", "jo\u0308rg@example.com", "jörg@example.com", true},
		{"upper case non-ASCII", "JÖRG@EXAMPLE.COM", "jörg@example.com", true},
		{"fullwidth folds", "ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ada@example.com", true},
		{"right-to-left local part next to an ASCII domain", "\u05d0\u05d1@example.com", "\u05d0\u05d1@example.com", true},
		{"plus and dots", "a.b+tag@example.com", "a.b+tag@example.com", true},
		{"space inside refused", "a b@example.com", "", false},
		{"control refused", "a\u0000b@example.com", "", false},
		{"empty", "   ", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := normalizeEmail(tt.give)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEmailLookups(t *testing.T) {
	assert.Equal(t, []string{"ada@example.com"}, emailLookups(" ADA@example.com"))
	assert.Equal(t, []string{"jörg@example.com", strings.ToLower("jo\u0308rg@example.com")}, emailLookups("JO\u0308RG@example.com"),
		"an account stored before normalisation is found under its old form")
}
