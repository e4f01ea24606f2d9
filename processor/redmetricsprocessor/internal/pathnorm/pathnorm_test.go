package pathnorm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "/v1/chat/completions", "/v1/chat/completions"},
		{"numeric id and query", "/v1/memories/8812?token=eyJhbGciOiJIUzI1NiJ9.abc.def", "/v1/memories/{id}"},
		{"uuid", "/users/123e4567-E89B-12d3-a456-426614174000/orders", "/users/{id}/orders"},
		{"long hex", "/contracts/c0ffee00deadbeef1234567890abcdef", "/contracts/{id}"},
		{"short hex word stays", "/v1/cafe/add", "/v1/cafe/add"},
		{"version segment stays", "/v1/x", "/v1/x"},
		{"fragment", "/a/42#top", "/a/{id}"},
		{"trailing slash", "/a/42/", "/a/{id}/"},
		{"root", "/", "/"},
		{"empty", "", ""},
		{"only query", "?a=1", ""},
		{"relative", "items/7", "items/{id}"},
		{"double slash", "//9", "//{id}"},
		{"mixed digits and letters stay", "/v2beta/abc123", "/v2beta/abc123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Normalize(tc.in))
		})
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 128)
	allocs := testing.AllocsPerRun(100, func() {
		buf = Append(buf[:0], "/v1/memories/8812/items/123e4567-e89b-12d3-a456-426614174000?x=1")
	})
	assert.Zero(t, allocs)
}

func BenchmarkAppend(b *testing.B) {
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], "/v1/memories/8812?token=abc")
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"/v1/memories/8812?token=x", "/", "", "//", "/a/123e4567-e89b-12d3-a456-426614174000",
		"/a/42#x?y", "/a#b/7?c", "7/", "/c0ffee00deadbeef1234567890abcdef/x/9/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Normalize(in)
		if strings.ContainsAny(out, "?#") {
			t.Fatalf("query or fragment kept: %q -> %q", in, out)
		}
		if strings.Count(out, "/") != strings.Count(cut(in), "/") {
			t.Fatalf("segment count changed: %q -> %q", in, out)
		}
		if ref := string(appendByteWise(nil, in)); out != ref {
			t.Fatalf("differs from the byte-wise reference: %q -> %q, want %q", in, out, ref)
		}
		if Normalize(out) != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, Normalize(out))
		}
	})
}

func cut(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		return s[:i]
	}
	return s
}

// appendByteWise is the straightforward byte-by-byte form of Append that the
// fuzz target checks the fast one against.
func appendByteWise(dst []byte, path string) []byte {
	for i := 0; i < len(path); i++ {
		if path[i] == '?' || path[i] == '#' {
			path = path[:i]
			break
		}
	}
	start := 0
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		seg := path[start:i]
		if isID(seg) {
			dst = append(dst, Placeholder...)
		} else {
			dst = append(dst, seg...)
		}
		if i < len(path) {
			dst = append(dst, '/')
		}
		start = i + 1
	}
	return dst
}
