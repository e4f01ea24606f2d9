package attrpath

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// benchRecMap is one aistack access-log record's attributes.
func benchRecMap() pcommon.Map {
	a := pcommon.NewMap()
	a.PutStr("request_id", "0000000000000001")
	a.PutStr("category", "llm")
	a.PutStr("model", "qwen2.5-7b")
	a.PutStr("method", "POST")
	a.PutStr("path", "/v1/op1/items/1001?x=1")
	a.PutInt("status", 200)
	a.PutDouble("latency_ms", 12)
	extra := a.PutEmptyMap("extra")
	extra.PutStr("provider", "vllm")
	extra.PutInt("input_tokens", 512)
	extra.PutInt("output_tokens", 128)
	return a
}

// engineSet registers the paths the engine looks up by default.
func engineSet() (*Set, []Handle) {
	s := NewSet()
	hs := s.AddAll("status_code", "status", "http.response.status_code", "rpc.grpc.status_code", "status_class",
		"rpc.method", "method", "http.request.method", "http.route", "url.path", "path", "model", "rpc.system",
		"duration_ms", "latency_ms", "duration_s", "http.server.request.duration", "rpc.service", "service", "category",
		"extra.input_tokens", "extra.output_tokens")
	return s, hs
}

// BenchmarkRecordLoad indexes one access-log-shaped map against the
// engine's default paths.
func BenchmarkRecordLoad(b *testing.B) {
	m := benchRecMap()
	s, _ := engineSet()
	rec := s.NewRecord()
	b.ReportAllocs()
	for b.Loop() {
		rec.Load(m)
	}
}

// BenchmarkRecordLoadGets also resolves every path, as the engine does at
// most for one record.
func BenchmarkRecordLoadGets(b *testing.B) {
	m := benchRecMap()
	s, hs := engineSet()
	rec := s.NewRecord()
	b.ReportAllocs()
	for b.Loop() {
		rec.Load(m)
		for _, h := range hs {
			rec.Get(h)
		}
	}
}
