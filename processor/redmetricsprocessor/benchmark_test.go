package redmetricsprocessor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"

	"github.com/redline-otel/redline/internal/cputime"
)

// fresh returns a copy of s in its own allocation: receivers decode
// attribute keys into new strings for every record, not shared literals.
func fresh(s string) string { return strings.Clone(s) }

// benchLogs is one batch of n aistack-shaped access-log records over n
// distinct operations, so that a steady state has n live series.
func benchLogs(n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "aistack")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	lrs.EnsureCapacity(n)
	for i := range n {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.Timestamp(time.Now().UnixNano()))
		a := lr.Attributes()
		a.PutStr(fresh("request_id"), fmt.Sprintf("%016x", i))
		a.PutStr(fresh("category"), "llm")
		a.PutStr(fresh("model"), "qwen2.5-7b")
		a.PutStr(fresh("method"), "POST")
		a.PutStr(fresh("path"), fmt.Sprintf("/v1/op%d/items/%d?x=1", i, 1000+i))
		a.PutInt(fresh("status"), 200)
		a.PutDouble(fresh("latency_ms"), float64(i%2000))
		extra := a.PutEmptyMap(fresh("extra"))
		extra.PutStr(fresh("provider"), "vllm")
		extra.PutInt(fresh("input_tokens"), 512)
		extra.PutInt(fresh("output_tokens"), 128)
	}
	return ld
}

func benchTraces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	start := pcommon.NewTimestampFromTime(time.Now())
	for i := range n {
		sp := spans.AppendEmpty()
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetName("GET /orders/{id}")
		sp.SetTraceID(pcommon.TraceID{1, byte(i), byte(i >> 8)})
		sp.SetSpanID(pcommon.SpanID{2, byte(i)})
		sp.SetStartTimestamp(start)
		sp.SetEndTimestamp(start + pcommon.Timestamp(i)*pcommon.Timestamp(time.Microsecond))
		a := sp.Attributes()
		a.PutStr(fresh("http.request.method"), "GET")
		a.PutStr(fresh("http.route"), fmt.Sprintf("/orders%d/{id}", i))
		a.PutInt(fresh("http.response.status_code"), 200)
	}
	return td
}

const benchSeries = 1000

// cpuMeter measures the process's user CPU time over a benchmark loop.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

// processUserCPU is the CPU time of the whole test process (all goroutines,
// GC included).
func processUserCPU() (time.Duration, bool) {
	n := cputime.Process()
	return time.Duration(n), n > 0
}

// startCPU is called right before the b.Loop loop (after warm-up).
func startCPU() cpuMeter {
	d, ok := processUserCPU()
	return cpuMeter{start: d, ok: ok}
}

// reportPerRecord reports wall and user-CPU nanoseconds per record; the CPU
// figure is the better estimate on a machine shared with other builds.
func reportPerRecord(b *testing.B, records int, m cpuMeter) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(records), "ns/record")
	if end, ok := processUserCPU(); ok && m.ok {
		b.ReportMetric(float64((end-m.start).Nanoseconds())/float64(b.N)/float64(records), "cpu-ns/record")
	}
}

func benchConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.MetricsFlushInterval = time.Hour
	cfg.SumFields = []SumFieldConfig{{Field: "extra.input_tokens"}, {Field: "extra.output_tokens"}}
	return cfg
}

// One op is a batch of n records over n live series (the steady
// state is 1,000); ns/record is the per-record cost and allocs/op the
// allocations of the whole batch.
func BenchmarkProcessorLogs(b *testing.B) {
	for _, n := range []int{100, benchSeries} {
		b.Run(fmt.Sprintf("%d-series", n), func(b *testing.B) {
			p, err := NewFactory().CreateLogs(b.Context(), processortest.NewNopSettings(metadata.Type), benchConfig(), consumertest.NewNop())
			require.NoError(b, err)
			require.NoError(b, p.Start(b.Context(), componenttest.NewNopHost()))
			defer func() { require.NoError(b, p.Shutdown(b.Context())) }()
			ld := benchLogs(n)
			require.NoError(b, p.ConsumeLogs(b.Context(), ld)) // warm: series exist, status_class stamped
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				_ = p.ConsumeLogs(b.Context(), ld)
			}
			reportPerRecord(b, n, cpu)
		})
	}
}

func BenchmarkConnectorLogs(b *testing.B) {
	for _, n := range []int{100, benchSeries} {
		b.Run(fmt.Sprintf("%d-series", n), func(b *testing.B) {
			c, err := NewConnectorFactory().CreateLogsToMetrics(b.Context(), connectortestSettings(), benchConfig(), consumertest.NewNop())
			require.NoError(b, err)
			require.NoError(b, c.Start(b.Context(), componenttest.NewNopHost()))
			defer func() { require.NoError(b, c.Shutdown(b.Context())) }()
			ld := benchLogs(n)
			require.NoError(b, c.ConsumeLogs(b.Context(), ld))
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				_ = c.ConsumeLogs(b.Context(), ld)
			}
			reportPerRecord(b, n, cpu)
		})
	}
}

// BenchmarkConnectorLogsUsageOff is BenchmarkConnectorLogs/1000-series with
// usage.enabled: false: every benchmark record names a model, so the
// difference is what counting a model call costs.
func BenchmarkConnectorLogsUsageOff(b *testing.B) {
	cfg := benchConfig()
	cfg.Usage.Enabled = false
	c, err := NewConnectorFactory().CreateLogsToMetrics(b.Context(), connectortestSettings(), cfg, consumertest.NewNop())
	require.NoError(b, err)
	require.NoError(b, c.Start(b.Context(), componenttest.NewNopHost()))
	defer func() { require.NoError(b, c.Shutdown(b.Context())) }()
	ld := benchLogs(benchSeries)
	require.NoError(b, c.ConsumeLogs(b.Context(), ld))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		_ = c.ConsumeLogs(b.Context(), ld)
	}
	reportPerRecord(b, benchSeries, cpu)
}

func BenchmarkConnectorTraces(b *testing.B) {
	c, err := NewConnectorFactory().CreateTracesToMetrics(b.Context(), connectortestSettings(), benchConfig(), consumertest.NewNop())
	require.NoError(b, err)
	require.NoError(b, c.Start(b.Context(), componenttest.NewNopHost()))
	defer func() { require.NoError(b, c.Shutdown(b.Context())) }()
	td := benchTraces(benchSeries)
	require.NoError(b, c.ConsumeTraces(b.Context(), td))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		_ = c.ConsumeTraces(b.Context(), td)
	}
	reportPerRecord(b, benchSeries, cpu)
}

// BenchmarkConnectorFlush10000Series builds and sends one flush of 10,000
// live series (cumulative, explicit buckets).
func BenchmarkConnectorFlush10000Series(b *testing.B) {
	cfg := createDefaultConfig().(*Config)
	cfg.MetricsFlushInterval = time.Hour
	c, err := newRedConnector(cfg, componenttest.NewNopTelemetrySettings(), consumertest.NewNop(), time.Now)
	require.NoError(b, err)
	c.engine.consumeLogs(benchLogs(10000), false)
	require.Equal(b, 10000, c.engine.agg.Len())
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		require.NoError(b, c.flush(b.Context()))
	}
	reportCPUPerOp(b, cpu)
}

func reportCPUPerOp(b *testing.B, m cpuMeter) {
	if end, ok := processUserCPU(); ok && m.ok {
		b.ReportMetric(float64((end-m.start).Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
	}
}

func BenchmarkProcessorSnapshot1000Series(b *testing.B) {
	p, err := newRedProcessor(benchConfig(), componenttest.NewNopTelemetrySettings(), component.NewID(metadata.Type), time.Now)
	require.NoError(b, err)
	p.engine.consumeLogs(benchLogs(benchSeries), true)
	src := &snapshotSource{engine: p.engine}
	b.ReportAllocs()
	for b.Loop() {
		_ = src.Snapshot()
	}
}

// BenchmarkConnectorFlushLocked10000Series is the part of a flush of 10,000
// series that holds the aggregate's lock (copying the values); records wait
// only this long.
func BenchmarkConnectorFlushLocked10000Series(b *testing.B) {
	cfg := createDefaultConfig().(*Config)
	cfg.MetricsFlushInterval = time.Hour
	c, err := newRedConnector(cfg, componenttest.NewNopTelemetrySettings(), consumertest.NewNop(), time.Now)
	require.NoError(b, err)
	c.engine.consumeLogs(benchLogs(10000), false)
	e := c.engine
	e.mu.Lock()
	e.flushLocked(time.Now().UnixNano(), &c.flushBuf) // warm: the buffer has grown
	e.mu.Unlock()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		e.mu.Lock()
		e.flushLocked(time.Now().UnixNano(), &c.flushBuf)
		e.mu.Unlock()
	}
	reportCPUPerOp(b, cpu)
}
