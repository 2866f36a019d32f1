package tokenexchange_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/grants/tokenexchange"
)

func TestNarrow(t *testing.T) {
	aud := []string{"https://id.example", "https://api.example"}
	tests := []struct {
		name             string
		giveAud, giveRes string
		want             []string
		wantErr          bool
	}{
		{"nothing asked keeps the subject's", "", "", aud, false},
		{"one of the subject's", "https://api.example", "", []string{"https://api.example"}, false},
		{"resource of the subject's", "", "https://id.example", []string{"https://id.example"}, false},
		{"a new audience", "https://evil.example", "", nil, true},
		{"a new resource", "", "https://evil.example", nil, true},
		{"audience and resource disagree", "https://id.example", "https://api.example", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tokenexchange.Narrow(aud, tt.giveAud, tt.giveRes)
			assert.Equal(t, tt.wantErr, err != nil, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNarrowScope(t *testing.T) {
	subject, client := []string{"a", "b"}, []string{"b", "c"}
	got, err := tokenexchange.NarrowScope(nil, false, subject, client)
	assert.NoError(t, err)
	assert.Equal(t, []string{"b"}, got, "absent: what both hold")
	got, err = tokenexchange.NarrowScope([]string{"b"}, true, subject, client)
	assert.NoError(t, err)
	assert.Equal(t, []string{"b"}, got)
	_, err = tokenexchange.NarrowScope([]string{"c"}, true, subject, client)
	assert.Error(t, err, "never wider than the subject token")
}
