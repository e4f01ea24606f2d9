package attrpath

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
