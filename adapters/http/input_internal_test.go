package http

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

func TestCheckJSONText(t *testing.T) {
	tests := []struct {
		name      string
		give      string
		wantField string
	}{
		{"plain", `{"email":"a@example.com","password":"x"}`, ""},
		{"escapes that are text", `{"name":"caf\u00e9 \ud83d\ude00 \"q\" \\"}`, ""},
		{"a spelled-out replacement character", `{"name":"\ufffd and ` + "\uFFFD" + `"}`, ""},
		{"NUL escape", `{"email":"a\u0000@example.com"}`, "email"},
		{"NUL escape upper case hex", `{"email":"a\u0000@example.com","x":"\U0000"}`, "email"},
		{"raw invalid UTF-8", "{\"first_name\":\"\xff\xfe\"}", "first_name"},
		{"lone high surrogate", `{"last_name":"\ud800"}`, "last_name"},
		{"lone low surrogate", `{"last_name":"a\udc00b"}`, "last_name"},
		{"in an array", `{"redirect_uris":["https://a.example/cb","https://b.example/\u0000"]}`, "redirect_uris"},
		{"after a nested object", `{"a":{"b":1},"scopes":["\ud800"]}`, "scopes"},
		{"in a member name", `{"na\u0000me":"x"}`, "field name"},
		{"lone surrogate beside a spelled-out one", `{"name":"\ufffd\udfff"}`, "name"},
		{"malformed JSON is left to the decoder", `{"name":"\u0000`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkJSONText([]byte(tt.give))
			if tt.wantField == "" {
				assert.NoError(t, err)
				return
			}
			var ve *core.ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, map[string]string{tt.wantField: badTextMessage}, ve.Fields)
		})
	}
}

func TestIsText(t *testing.T) {
	assert.True(t, isText("héllo"))
	assert.True(t, isText(""))
	assert.False(t, isText("a\x00b"))
	assert.False(t, isText("\xff\xfe"))
	assert.False(t, isText("\xed\xa0\x80"), "an encoded surrogate is not UTF-8")
	assert.Equal(t, "parameter", fieldName("\xff", "parameter"))
	assert.Equal(t, "email", fieldName("email", "parameter"))
}
