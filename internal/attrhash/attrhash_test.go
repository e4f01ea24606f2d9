package attrhash

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func mapOf(t *testing.T, raw map[string]any) pcommon.Map {
	t.Helper()
	m := pcommon.NewMap()
	require.NoError(t, m.FromRaw(raw))
	return m
}

// The identities are pinned: redmetrics series keep their grouping across a
// restart or an upgrade only while these bytes do not change. The first two
// were also computed outside Go, as SHA-256 of the documented encoding
// ("m", count, then length-prefixed key, type tag, length-prefixed value).
func TestOfIsPinned(t *testing.T) {
	cases := []struct {
		name string
		raw  map[string]any
		want string
	}{
		{"empty", map[string]any{}, "8424d6438c96c96c9a3593b278cfbaa5"},
		{"service", map[string]any{"service.name": "checkout"}, "97f42221ef654cd35901a7b0556dca6e"},
		{"every type", map[string]any{
			"s": "v", "i": int64(-7), "d": 1.5, "b": true, "y": []byte{0, 1},
			"l": []any{"a", int64(1)}, "m": map[string]any{"k": "v"}, "n": nil,
		}, "bf77645873ed13247a21be3575af7256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Of(mapOf(t, tc.raw))
			assert.Equal(t, tc.want, hex.EncodeToString(got[:]))
		})
	}
}

func TestOfIgnoresInsertionOrder(t *testing.T) {
	a := pcommon.NewMap()
	a.PutStr("service.name", "checkout")
	a.PutStr("host.name", "node-1")
	a.PutEmptyMap("nested").PutInt("z", 1)
	b := pcommon.NewMap()
	nested := b.PutEmptyMap("nested")
	b.PutStr("host.name", "node-1")
	nested.PutInt("z", 1)
	b.PutStr("service.name", "checkout")
	assert.Equal(t, Of(a), Of(b))
}

// Maps that differ in any way, including only in a value's type or in where a
// string is cut, have different identities.
func TestOfTellsMapsApart(t *testing.T) {
	maps := []map[string]any{
		{},
		{"k": "1"},
		{"k": int64(1)},
		{"k": 1.0},
		{"k": true},
		{"k": nil},
		{"k": []byte("1")},
		{"k": []any{"1"}},
		{"k": map[string]any{"1": nil}},
		{"ab": "c"},
		{"a": "bc"},
		{"a": "b", "c": ""},
		{"a": []any{"b", "c"}},
		{"a": []any{"bc"}},
		{"a": []any{[]any{"b"}, "c"}},
		{"a": map[string]any{"b": "c"}, "d": "e"},
		{"a": map[string]any{"b": "c", "d": "e"}},
	}
	seen := map[Sum]int{}
	for i, raw := range maps {
		s := Of(mapOf(t, raw))
		if j, dup := seen[s]; dup {
			t.Fatalf("maps %d %v and %d %v share an identity", j, maps[j], i, raw)
		}
		seen[s] = i
	}
}

// A Hasher reused across calls, including after nested maps, gives what a
// fresh one gives.
func TestHasherReuse(t *testing.T) {
	hs := NewHasher()
	nested := mapOf(t, map[string]any{"a": map[string]any{"c": "d", "b": map[string]any{"x": int64(1)}}, "z": "y"})
	flat := mapOf(t, map[string]any{"service.name": "checkout"})
	for range 3 {
		assert.Equal(t, Of(nested), hs.Of(nested))
		assert.Equal(t, Of(flat), hs.Of(flat))
	}
}

func BenchmarkOf(b *testing.B) {
	m := pcommon.NewMap()
	m.PutStr("service.name", "checkout")
	m.PutStr("service.version", "1.4.2")
	m.PutStr("host.name", "node-17")
	m.PutStr("k8s.pod.name", "checkout-7c9f8d6b5-x2kqz")
	m.PutStr("k8s.namespace.name", "shop")
	m.PutStr("deployment.environment.name", "production")
	hs := NewHasher()
	b.ReportAllocs()
	for b.Loop() {
		hs.Of(m)
	}
}
