package maskprocessor

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/redline-otel/redline/internal/cputime"
)

const benchRecords = 100

// cleanAttrs fills a record with 12 ordinary attributes that no rule matches.
func cleanAttrs(lr plog.LogRecord, i int) {
	a := lr.Attributes()
	a.PutStr("http.request.method", "POST")
	a.PutStr("url.path", "/v1/chat/completions")
	a.PutInt("http.response.status_code", 200)
	a.PutStr("service", "Hello")
	a.PutStr("method", "sayHello")
	a.PutStr("request_id", fmt.Sprintf("825e53134e17%04d", i))
	a.PutDouble("duration_ms", 4.2)
	a.PutStr("status_code", "OK")
	a.PutStr("logger", "aster.server")
	a.PutStr("model", "qwen2.5-7b")
	a.PutBool("cached", false)
	a.PutStr("ts", "2026-04-06T14:30:45.123Z")
}

func benchLogs(body string, dirty bool) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "aster")
	sl := rl.ScopeLogs().AppendEmpty()
	for i := range benchRecords {
		lr := sl.LogRecords().AppendEmpty()
		cleanAttrs(lr, i)
		if body != "" {
			lr.Body().SetStr(body)
		}
		if dirty {
			lr.Attributes().PutStr("peer", "7f3a9c2e51b84d06a1e2f3c4d5b6a7980f1e2d3c")
			lr.Attributes().PutStr("password", "hunter2")
		}
	}
	return ld
}

const (
	cleanBody200 = "2026-05-08T09:12:03.412Z INFO request finished method=POST path=/v1/chat/completions status=200 " +
		"latency_ms=1830.2 request_id=825e53134e178cd1 model=qwen2.5-7b tokens_in=512 tokens_out=128 cached=false ok......"
	dirtyBody200 = "2026-05-08T09:12:03.412Z WARN signup user=alice@example.com phone=+14155552671 " +
		"callback=/v1/cb?token=abc123&x=1 latency_ms=12.5 request_id=825e53134e178cd1 status=429 retry later please thanks, bye now"
)

func BenchmarkProcessLogs(b *testing.B) {
	for _, bc := range []struct {
		name       string
		body       string
		dirty      bool
		noAnnotate bool
	}{
		{name: "12-attrs-no-match"},
		{name: "12-attrs-200B-body-no-match", body: cleanBody200[:200]},
		{name: "12-attrs-200B-body-pii", body: dirtyBody200[:200]},
		{name: "12-attrs-200B-body-pii-no-annotate", body: dirtyBody200[:200], noAnnotate: true},
		{name: "14-attrs-secret-and-identifier", dirty: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := defaultCfg()
			cfg.Annotate = !bc.noAnnotate
			p, err := newMaskProcessor(cfg, componenttest.NewNopTelemetrySettings(), "bench")
			require.NoError(b, err)
			p.stats, p.release = (&statsRegistry{m: map[*Config]*sharedStats{}}).acquire(cfg, p.masker)
			src := benchLogs(bc.body, bc.dirty)
			ld := plog.NewLogs()
			ctx := context.Background()
			b.ReportAllocs()
			cpu0 := cputime.Process()
			for b.Loop() {
				if bc.dirty || bc.body == dirtyBody200[:200] {
					c := cputime.Process()
					b.StopTimer()
					src.CopyTo(ld)
					b.StartTimer()
					cpu0 += cputime.Process() - c // the copy is not the processor's work
				} else {
					ld = src // nothing matches: the batch is never modified
				}
				_, _ = p.processLogs(ctx, ld)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRecords, "ns/record")
			b.ReportMetric(float64(cputime.Process()-cpu0)/float64(b.N)/benchRecords, "cpu-ns/record")
		})
	}
}

func TestBenchBodiesAre200Bytes(t *testing.T) {
	require.GreaterOrEqual(t, len(cleanBody200), 200)
	require.GreaterOrEqual(t, len(dirtyBody200), 200)
}

// BenchmarkIterateBaseline walks the same 12-attribute records without
// masking: the floor set by pdata iteration, to read the figures above by.
func BenchmarkIterateBaseline(b *testing.B) {
	ld := benchLogs("", false)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	b.ReportAllocs()
	cpu0 := cputime.Process()
	n := 0
	for b.Loop() {
		for i := 0; i < lrs.Len(); i++ {
			for _, v := range lrs.At(i).Attributes().All() {
				if v.Type() == pcommon.ValueTypeStr {
					n += len(v.Str())
				}
			}
		}
	}
	require.Positive(b, n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRecords, "ns/record")
	b.ReportMetric(float64(cputime.Process()-cpu0)/float64(b.N)/benchRecords, "cpu-ns/record")
}
