package keymatch

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSetContains(t *testing.T) {
	s := NewSet("X-Api-Key", "Authorization", "client_secret")
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"x_api_key", true},
		{"X.API.KEY", true},
		{"x-api-key", true},
		{"authorization", true},
		{"AUTHORIZATION", true},
		{"Client-Secret", true},
		{"client", false},
		{"x_api_keys", false},
		{"", false},
		{strings.Repeat("a", 300), false},
	} {
		assert.Equal(t, tc.want, s.Contains(tc.key), tc.key)
	}
	assert.Equal(t, 3, s.Len())
}

func TestLongKeys(t *testing.T) {
	long := strings.Repeat("Ab-", 60)
	s := NewSet(long)
	assert.True(t, s.Contains(strings.ToLower(long)))
	assert.True(t, s.Contains(strings.ReplaceAll(long, "-", ".")))
}

func TestEmptySet(t *testing.T) {
	var s Set
	assert.False(t, s.Contains("x"))
}

func TestNormalizeEqualPrefix(t *testing.T) {
	assert.Equal(t, "http_request_header_x_api_key", Normalize("http.request.header.X-Api-Key"))
	already := "plain_key"
	assert.Equal(t, already, Normalize(already))
	assert.True(t, Equal("Set-Cookie", "set_cookie"))
	assert.False(t, Equal("Set-Cookie", "set_cookies"))
	assert.True(t, HasPrefix("HTTP.Request.Header.Cookie", "http.request.header."))
	assert.False(t, HasPrefix("http", "http.request"))
}

func TestContainsDoesNotAllocate(t *testing.T) {
	s := NewSet("password", "token")
	allocs := testing.AllocsPerRun(100, func() {
		_ = s.Contains("Access-Token")
		_ = s.Contains("PASSWORD")
	})
	assert.Zero(t, allocs)
}

func BenchmarkContains(b *testing.B) {
	s := NewSet("secret_key", "private_key", "signing_key", "signature", "password", "token", "api_key")
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Contains("http.request.method")
	}
}
