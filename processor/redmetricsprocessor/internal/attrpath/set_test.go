package attrpath

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The Set must find exactly what Path.Get finds.
func TestSetMatchesPath(t *testing.T) {
	m := testMap(t)
	paths := []string{"status", "http.response.status_code", "extra.input_tokens", "extra.cost_usd",
		"extra.nested.deep", "a.b.c", "missing", "extra.missing", "status.x", "latency"}
	s := NewSet()
	hs := s.AddAll(paths...)
	rec := s.NewRecord()
	for round := range 2 { // a second Load must not see stale slots
		if round == 1 {
			m.Remove("status")
		}
		rec.Load(m)
		for i, p := range paths {
			want, wantOK := Compile(p).Get(m)
			got, ok := rec.Get(hs[i])
			assert.Equal(t, wantOK, ok, p)
			if ok && wantOK {
				assert.Equal(t, want.AsRaw(), got.AsRaw(), p)
			}
		}
	}
	f, ok := rec.Float(hs[3])
	assert.True(t, ok)
	assert.InDelta(t, 0.00042, f, 1e-12)
	_, ok = rec.Float(hs[6])
	assert.False(t, ok)
}

func TestSetLoadDoesNotAllocate(t *testing.T) {
	m := testMap(t)
	s := NewSet()
	hs := s.AddAll("status", "extra.input_tokens", "missing.key")
	rec := s.NewRecord()
	allocs := testing.AllocsPerRun(100, func() {
		rec.Load(m)
		for _, h := range hs {
			rec.Get(h)
		}
	})
	assert.Zero(t, allocs)
}

func BenchmarkSetLoad(b *testing.B) {
	m := testMap(b)
	s := NewSet()
	hs := s.AddAll("status_code", "status", "http.response.status_code", "rpc.grpc.status_code", "duration_ms",
		"latency_ms", "request_id", "rpc.service", "service", "category", "http.route", "url.path", "path", "extra.input_tokens")
	rec := s.NewRecord()
	b.ReportAllocs()
	for b.Loop() {
		rec.Load(m)
		for _, h := range hs {
			rec.Get(h)
		}
	}
}

func BenchmarkPathGets(b *testing.B) {
	m := testMap(b)
	var ps []Path
	for _, p := range []string{"status_code", "status", "http.response.status_code", "rpc.grpc.status_code", "duration_ms",
		"latency_ms", "request_id", "rpc.service", "service", "category", "http.route", "url.path", "path", "extra.input_tokens"} {
		ps = append(ps, Compile(p))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			p.Get(m)
		}
	}
}

// Keys of lengths no path has, and keys sharing a length with a path, must
// not be mistaken for it.
func TestSetIgnoresOtherKeys(t *testing.T) {
	m := testMap(t)
	m.PutStr("statuz", "x")                                                           // same length as "status"
	m.PutStr("a_very_long_key_that_is_longer_than_sixty_three_bytes_for_sure_1", "y") // bit 63
	s := NewSet()
	hs := s.AddAll("status", "a_very_long_key_that_is_longer_than_sixty_three_bytes_for_sure_2", "nope")
	rec := s.NewRecord()
	rec.Load(m)
	v, ok := rec.Get(hs[0])
	assert.True(t, ok)
	assert.Equal(t, int64(200), v.Int())
	_, ok = rec.Get(hs[1])
	assert.False(t, ok)
	_, ok = rec.Get(hs[2])
	assert.False(t, ok)
}

// Maps whose keys come in a different order, or differ at a position, must
// resolve exactly as a fresh lookup does (the layout cache only skips work).
func TestSetLayoutChanges(t *testing.T) {
	s := NewSet()
	hs := s.AddAll("status", "path", "extra.input_tokens")
	rec := s.NewRecord()
	check := func(m pcommon.Map, want ...any) {
		t.Helper()
		rec.Load(m)
		for i, h := range hs {
			v, ok := rec.Get(h)
			if want[i] == nil {
				assert.False(t, ok, i)
				continue
			}
			require.True(t, ok, i)
			assert.Equal(t, want[i], v.AsRaw(), i)
		}
	}
	empty := pcommon.NewMap() // an empty key matches the unfilled layout; it has no slot
	empty.PutInt("", 1)
	check(empty, nil, nil, nil)

	a := pcommon.NewMap()
	a.PutInt("status", 200)
	a.PutStr("path", "/a")
	a.PutEmptyMap("extra").PutInt("input_tokens", 5)
	check(a, int64(200), "/a", int64(5))
	check(a, int64(200), "/a", int64(5)) // same layout again

	b := pcommon.NewMap() // same keys, other order; one key swapped for another
	b.PutStr("path", "/b")
	b.PutStr("statuz", "x")
	b.PutInt("status", 404)
	check(b, int64(404), "/b", nil)

	c := pcommon.NewMap() // fewer keys than before
	c.PutInt("status", 1)
	c.PutStr("other", "y")
	check(c, int64(1), nil, nil)

	big := pcommon.NewMap() // more keys than the layout covers
	for i := range layoutLen + 5 {
		big.PutInt(fmt.Sprintf("k%d", i), int64(i))
	}
	big.PutStr("path", "/big")
	check(big, nil, "/big", nil)
	check(big, nil, "/big", nil)
	check(a, int64(200), "/a", int64(5))
}

// A path that Get finds always has a bit of its mask filled, also with more
// slots than bits (the masks then share bits, which may say "maybe" for an
// absent path but never "absent" for a present one).
func TestFilledMaskNeverMissesAPresentPath(t *testing.T) {
	s := NewSet()
	var paths []string
	for i := range 80 {
		paths = append(paths, fmt.Sprintf("k%d", i), fmt.Sprintf("n%d.inner", i))
	}
	hs := s.AddAll(paths...)
	rec := s.NewRecord()
	for _, present := range []int{0, 7, 63, 64, 79} {
		m := pcommon.NewMap()
		m.PutInt(fmt.Sprintf("k%d", present), 1)
		m.PutEmptyMap(fmt.Sprintf("n%d", present)).PutInt("inner", 2)
		rec.Load(m)
		for i, h := range hs {
			_, ok := rec.Get(h)
			if ok {
				assert.NotZero(t, rec.Filled()&s.Mask(h), paths[i])
			}
		}
		assert.NotZero(t, rec.Filled()&s.MaskAll(hs[2*present], hs[2*present+1]))
	}
	rec.Load(pcommon.NewMap())
	assert.Zero(t, rec.Filled())
}

// One path added twice is one handle, resolved once per Load.
func TestSetSharesHandlesOfOnePath(t *testing.T) {
	s := NewSet()
	a := s.Add("extra.input_tokens")
	b := s.Add("status")
	assert.Equal(t, a, s.Add("extra.input_tokens"))
	assert.NotEqual(t, a, b)
	rec := s.NewRecord()
	m := pcommon.NewMap()
	m.PutEmptyMap("extra").PutInt("input_tokens", 7)
	rec.Load(m)
	for range 2 {
		v, ok := rec.Get(a)
		require.True(t, ok)
		assert.Equal(t, int64(7), v.Int())
	}
	m.Remove("extra")
	m.PutEmptyMap("extra").PutInt("input_tokens", 8)
	rec.Load(m)
	v, ok := rec.Get(a)
	require.True(t, ok)
	assert.Equal(t, int64(8), v.Int(), "a new Load forgets the last one's lookups")
}
