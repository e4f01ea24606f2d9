package capture

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestValidRequestID(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   string
		want bool
	}{
		{name: "hex", id: "825e53134e178cd1", want: true},
		{name: "all allowed characters", id: "videocraft-42_step:3.b", want: true},
		{name: "single letter", id: "a", want: true},
		{name: "128 characters", id: strings.Repeat("a", 128), want: true},
		{name: "dots inside", id: "a..b", want: true},
		{name: "three dots", id: "...", want: true},
		{name: "leading dot", id: ".tmp-x", want: true},
		{name: "empty", id: "", want: false},
		{name: "129 characters", id: strings.Repeat("a", 129), want: false},
		{name: "dot", id: ".", want: false},
		{name: "dot dot", id: "..", want: false},
		{name: "slash", id: "a/b", want: false},
		{name: "traversal", id: "../../etc/passwd", want: false},
		{name: "backslash", id: `..\..\x`, want: false},
		{name: "NUL", id: "a\x00b", want: false},
		{name: "space", id: "a b", want: false},
		{name: "newline", id: "a\nb", want: false},
		{name: "non-ASCII", id: "café", want: false},
		{name: "tilde", id: "a~b", want: false},
		{name: "percent-encoded slash", id: "a%2fb", want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ValidRequestID(tc.id))
		})
	}
}

func TestResolveRequestID(t *testing.T) {
	for _, tc := range []struct {
		name          string
		raw           string
		present       bool
		wantKept      bool
		wantOriginal  *string
		wantTruncated bool
	}{
		{name: "valid id kept", raw: "abc-123", present: true, wantKept: true},
		{name: "missing", raw: "", present: false},
		{name: "empty", raw: "", present: true, wantOriginal: ptr("")},
		{name: "dot dot", raw: "..", present: true, wantOriginal: ptr("..")},
		{name: "traversal", raw: "../x", present: true, wantOriginal: ptr("../x")},
		{name: "NUL", raw: "a\x00", present: true, wantOriginal: ptr(`a\x00`)},
		{name: "non-ASCII", raw: "é/\xff", present: true, wantOriginal: ptr(`\u00e9/\xff`)},
		{name: "quote and backslash", raw: `"\`, present: true, wantOriginal: ptr(`\"\\`)},
		{name: "too long is truncated", raw: strings.Repeat("/", 600), present: true, wantOriginal: ptr(strings.Repeat("/", 512)), wantTruncated: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ResolveRequestID(tc.raw, tc.present)
			assert.True(t, ValidRequestID(got.ID))
			if tc.wantKept {
				assert.Equal(t, tc.raw, got.ID)
				assert.False(t, got.Generated)
				assert.Empty(t, got.Original)
				return
			}
			assert.True(t, got.Generated)
			assert.Regexp(t, hex16, got.ID)
			assert.Equal(t, tc.wantTruncated, got.OriginalTruncated)
			var m Meta
			m.SetRequestID(got)
			if tc.wantOriginal == nil {
				assert.Nil(t, m.OriginalRequestID)
				return
			}
			if assert.NotNil(t, m.OriginalRequestID) {
				assert.Equal(t, *tc.wantOriginal, *m.OriginalRequestID)
			}
		})
	}
}

func TestNewRequestIDIsFresh(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewRequestID()
		assert.Regexp(t, hex16, id)
		assert.False(t, seen[id], "duplicate id %s", id)
		seen[id] = true
	}
}

func TestEscapeASCIIRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a\x00b", "\xff\xfe", "日本", "\"quoted\"\n"} {
		back, err := strconv.Unquote(`"` + EscapeASCII(s) + `"`)
		if assert.NoError(t, err) {
			assert.Equal(t, s, back)
		}
	}
}

func ptr(s string) *string { return &s }
