package parser

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

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

// textShapes are the plain-text shapes, one record each (the header shape
// is two lines).
var textShapes = []struct{ name, record string }{
	{"stamped", "14:30:45.128 DEBUG server — rpc completed [svc=Hello method=sayHello req=abc12345 duration_ms=4.2]\n"},
	{"header+access", "2026-04-13 10:30:45 - astrocyte_gateway.access - INFO\na1b2c3d4-e5f6-7890-abcd-ef1234567890 POST /v1/recall 200 45.23ms\n"},
	{"pairs", "source_id='github_issues' event='poll_started' interval_seconds=3600\n"},
	{"unstructured", "Traceback (most recent call last): something went wrong in the poller\n"},
}

// BenchmarkParseText is BenchmarkParseLine for the text shapes with the
// default format (auto), a header completed by Continue as the receiver does.
func BenchmarkParseText(b *testing.B) {
	for _, sh := range textShapes {
		b.Run(sh.name, func(b *testing.B) {
			const batchRecords = 1024
			raw := []byte(strings.Repeat(sh.record, batchRecords))
			var lines []string
			p := New(Options{})
			p.SetSource("gateway-2026-04-13.log", time.Now())
			var records plog.LogRecordSlice
			b.SetBytes(int64(len(sh.record)))
			b.ReportAllocs()
			n := 0
			cpuStart := cputime.Process()
			for b.Loop() {
				if n == len(lines) || lines == nil {
					records = plog.NewLogs().ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
					records.EnsureCapacity(batchRecords)
					lines = strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
					n = 0
				}
				lr := records.AppendEmpty()
				res := p.Parse(lines[n], lr)
				n++
				if res.Flags&FlagHeader != 0 && n < len(lines) && p.Continue(lines[n], lr, &res) {
					n++
				}
				if res.Err != nil || res.Flags&FlagUnpairedHeader != 0 {
					b.Fatal(res.Err, res.Flags)
				}
			}
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
