package pathnorm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTarget(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"origin form", "/api/search?q=1", "/api/search?q=1"},
		{"absolute URL", "https://shop.example.com:8443/api/items/7?x=1", "/api/items/7?x=1"},
		{"no path", "http://shop.example.com", "/"},
		{"query without path", "http://h?x=1", "/"},
		{"empty", "", ""},
		{"asterisk form", "*", "*"},
		{"relative stays", "items/7", "items/7"},
		{"not a scheme", "1http://h/a", "1http://h/a"},
		{"authority form", "example.com:443", "example.com:443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Target(tc.in))
		})
	}
}

func TestSplitRequestLine(t *testing.T) {
	for _, tc := range []struct {
		in, method, target string
		ok                 bool
	}{
		{"GET /api/search?q=red HTTP/1.1", "GET", "/api/search?q=red", true},
		{"POST /v1/recall HTTP/2.0", "POST", "/v1/recall", true},
		{"GET /", "GET", "/", true},
		{"GET", "", "", false},
		{" /x HTTP/1.1", "", "", false},
		{"GET  HTTP/1.1", "", "", false},
		{"", "", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			m, target, ok := SplitRequestLine(tc.in)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.method, m)
			assert.Equal(t, tc.target, target)
		})
	}
}

func TestTargetDoesNotAllocate(t *testing.T) {
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		_ = Target("https://shop.example.com/api/items/7")
		_, _, _ = SplitRequestLine("GET /api HTTP/1.1")
	}))
}

func FuzzTarget(f *testing.F) {
	for _, s := range []string{"/a?b", "https://h/a", "http://h", "x://", "://a/b", "GET /a HTTP/1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Target(in)
		if out != "/" && !strings.HasSuffix(in, out) {
			t.Fatalf("Target(%q) = %q is not a suffix of its input", in, out)
		}
		if m, target, ok := SplitRequestLine(in); ok && (m == "" || target == "" || strings.ContainsRune(m, ' ')) {
			t.Fatalf("SplitRequestLine(%q) = %q, %q", in, m, target)
		}
	})
}
