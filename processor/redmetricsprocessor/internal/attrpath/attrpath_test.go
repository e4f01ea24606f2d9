package attrpath

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func testMap(t testing.TB) pcommon.Map {
	m := pcommon.NewMap()
	require.NoError(t, m.FromRaw(map[string]any{
		"status":                    200,
		"http.response.status_code": 503,
		"extra":                     map[string]any{"input_tokens": 512, "cost_usd": 0.00042, "nested": map[string]any{"deep": "x"}},
		"a.b":                       map[string]any{"c": "from a.b map"},
		"a":                         map[string]any{"b.c": "from a map"},
		"latency":                   "12.5",
		"flag":                      true,
	}))
	return m
}

func TestGet(t *testing.T) {
	m := testMap(t)
	for _, tc := range []struct {
		path string
		want any
	}{
		{"status", int64(200)},
		{"http.response.status_code", int64(503)},
		{"extra.input_tokens", int64(512)},
		{"extra.cost_usd", 0.00042},
		{"extra.nested.deep", "x"},
		{"a.b.c", "from a.b map"}, // longest key first
		{"missing", nil},
		{"extra.missing", nil},
		{"status.x", nil},
		{"", nil},
	} {
		t.Run(tc.path, func(t *testing.T) {
			v, ok := Compile(tc.path).Get(m)
			if tc.want == nil {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, v.AsRaw())
		})
	}
	_, ok := Path{}.Get(m)
	assert.False(t, ok)
	assert.Equal(t, "extra.cost_usd", Compile("extra.cost_usd").String())
}

func TestFloat(t *testing.T) {
	m := testMap(t)
	for _, tc := range []struct {
		path string
		want float64
		ok   bool
	}{
		{"status", 200, true},
		{"extra.cost_usd", 0.00042, true},
		{"latency", 12.5, true},
		{"flag", 0, false},
		{"extra", 0, false},
		{"missing", 0, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			f, ok := Compile(tc.path).Float(m)
			assert.Equal(t, tc.ok, ok)
			assert.InDelta(t, tc.want, f, 1e-12)
		})
	}
	m.PutStr("bad", "abc")
	m.PutStr("empty", "")
	_, ok := Compile("bad").Float(m)
	assert.False(t, ok)
	_, ok = Compile("empty").Float(m)
	assert.False(t, ok)
}

func TestGetDoesNotAllocate(t *testing.T) {
	m := testMap(t)
	p := Compile("extra.input_tokens")
	allocs := testing.AllocsPerRun(100, func() { p.Get(m) })
	assert.Zero(t, allocs)
}

func BenchmarkGetNested(b *testing.B) {
	m := testMap(b)
	p := Compile("extra.input_tokens")
	b.ReportAllocs()
	for b.Loop() {
		p.Get(m)
	}
}
