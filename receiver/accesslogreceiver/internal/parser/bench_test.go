package parser

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/redline-otel/redline/internal/cputime"
)

var seedShapes = []struct{ name, line string }{
	{"aster", asterLine},
	{"astrocyte", astrocyteLine},
	{"aistack", aistackLine},
}

// BenchmarkParseLine measures raw lines ([]byte, as read from a file) to
// filled records appended to a batch, as the receiver does it: a batch of 1024
// lines is turned into one string, then each line is parsed.
func BenchmarkParseLine(b *testing.B) {
	for _, sh := range seedShapes {
		b.Run(sh.name, func(b *testing.B) {
			const batchLines = 1024
			raw := []byte(strings.Repeat(sh.line, batchLines))
			size := len(sh.line)
			var batch string
			p := New(Options{})
			var records plog.LogRecordSlice
			b.SetBytes(int64(size))
			b.ReportAllocs()
			n := 0
			cpuStart := cputime.Process()
			for b.Loop() {
				if n == batchLines || batch == "" {
					// A new batch, as the receiver starts one per delivery.
					records = plog.NewLogs().ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
					records.EnsureCapacity(batchLines)
					batch = string(raw)
					n = 0
				}
				if res := p.Parse(batch[n*size:(n+1)*size], records.AppendEmpty()); res.Err != nil {
					b.Fatal(res.Err)
				}
				n++
			}
			// Wall time is inflated when other jobs share the machine; the
			// process's CPU time (GC included) is the steadier figure.
			if cpu := cputime.Process() - cpuStart; cpu > 0 {
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkJSONDecoders compares the JSON libraries on the seed shapes, parse
// only, which is how the parser's library was chosen (see README).
func BenchmarkJSONDecoders(b *testing.B) {
	for _, sh := range seedShapes {
		raw := []byte(sh.line)
		b.Run("fastjson/"+sh.name, func(b *testing.B) {
			var p fastjson.Parser
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.ParseBytes(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("encoding_json_map/"+sh.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m map[string]any
				if err := json.Unmarshal(raw, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The whole job done the naive way: encoding/json into a map, then pdata's FromRaw.
		b.Run("encoding_json_fromraw/"+sh.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m map[string]any
				if err := json.Unmarshal(raw, &m); err != nil {
					b.Fatal(err)
				}
				lr := plog.NewLogRecord()
				if err := lr.Attributes().FromRaw(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
