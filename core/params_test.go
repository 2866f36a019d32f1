package core_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
)

func TestOAuthParams(t *testing.T) {
	tests := []struct {
		name         string
		give         string
		wantParams   url.Values
		wantRepeated []string
	}{
		{"plain", "grant_type=client_credentials&scope=a", url.Values{"grant_type": {"client_credentials"}, "scope": {"a"}}, nil},
		{"empty is absent", "client_secret=&client_id=&scope=a", url.Values{"scope": {"a"}}, nil},
		{"bare name is absent", "client_secret&scope=a", url.Values{"scope": {"a"}}, nil},
		{"empty twice is absent", "state=&state=", url.Values{}, nil},
		{"empty and a value is the value", "client_id=&client_id=web", url.Values{"client_id": {"web"}}, nil},
		{"repeated", "scope=a&scope=b&code=x&code=x", url.Values{"scope": {"a", "b"}, "code": {"x", "x"}}, []string{"code", "scope"}},
		{"nothing", "", url.Values{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.give)
			assert.NoError(t, err)
			params, repeated := core.OAuthParams(v)
			assert.Equal(t, tt.wantParams, params)
			assert.Equal(t, tt.wantRepeated, repeated)
		})
	}
}

func TestErrRepeatedParamNamesTheParameter(t *testing.T) {
	err := core.ErrRepeatedParam("scope")
	assert.Equal(t, core.CodeInvalidRequest, err.Code)
	assert.Contains(t, err.Description, "scope")
	long := core.ErrRepeatedParam(string(make([]byte, 1000)))
	assert.Less(t, len(long.Description), 200, "a client-chosen name is not echoed in full")
}
