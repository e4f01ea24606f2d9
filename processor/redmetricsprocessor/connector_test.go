package redmetricsprocessor

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadatatest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var exampleLogs = []struct{ file, service string }{
	{"access-2026-05-08.jsonl", "aistack"},
	{"aster-2026-04-06.jsonl", "aster"},
	{"astrocyte-access.jsonl", "astrocyte"},
}

func exampleLogsPath(file string) string {
	return filepath.Join("..", "..", "examples", "logs", file)
}

func goldenConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.MetricsFlushInterval = time.Hour // flushed by Shutdown in the tests
	cfg.SumFields = []SumFieldConfig{
		{Field: "extra.input_tokens", Unit: "{token}"},
		{Field: "extra.output_tokens", Unit: "{token}"},
		{Field: "extra.cost_usd", Unit: "[USD]"},
	}
	return cfg
}

var compareOpts = []pmetrictest.CompareMetricsOption{
	pmetrictest.IgnoreTimestamp(), pmetrictest.IgnoreStartTimestamp(),
	pmetrictest.IgnoreResourceMetricsOrder(), pmetrictest.IgnoreMetricsOrder(),
	pmetrictest.IgnoreMetricDataPointsOrder(), pmetrictest.IgnoreScopeMetricsOrder(),
}

func checkGoldenMetrics(t *testing.T, dir string, got pmetric.Metrics) {
	t.Helper()
	path := filepath.Join("testdata", dir, "expected.yaml")
	if *update {
		golden.WriteMetrics(t, path, got)
	}
	want, err := golden.ReadMetrics(path)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(want, got, compareOpts...))
}

func TestConnectorGoldenFromLogs(t *testing.T) {
	sink := new(consumertest.MetricsSink)
	cfg := goldenConfig()
	c, err := NewConnectorFactory().CreateLogsToMetrics(t.Context(), connectortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context(), componenttest.NewNopHost()))
	for _, ex := range exampleLogs {
		require.NoError(t, c.ConsumeLogs(t.Context(), logsFromJSONL(t, exampleLogsPath(ex.file), ex.service)))
	}
	require.NoError(t, c.Shutdown(t.Context()))
	require.Len(t, sink.AllMetrics(), 1, "shutdown flushes once")
	checkGoldenMetrics(t, "logs_to_metrics", sink.AllMetrics()[0])
}

// testTraces has server spans over HTTP and gRPC, one without status
// attributes, and client/internal spans that are not requests.
func testTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	start := pcommon.NewTimestampFromTime(time.Date(2026, 5, 8, 9, 0, 0, 0, time.UTC))
	add := func(i int, kind ptrace.SpanKind, name string, dur time.Duration, attrs map[string]any, errStatus bool) {
		sp := spans.AppendEmpty()
		sp.SetName(name)
		sp.SetKind(kind)
		sp.SetTraceID(pcommon.TraceID{0xaa, byte(i)})
		sp.SetSpanID(pcommon.SpanID{0xbb, byte(i)})
		sp.SetStartTimestamp(start)
		sp.SetEndTimestamp(start + pcommon.Timestamp(dur))
		_ = sp.Attributes().FromRaw(attrs)
		if errStatus {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
	}
	httpAttrs := func(code int) map[string]any {
		return map[string]any{"http.request.method": "GET", "http.route": "/orders/{id}", "url.path": "/orders/42", "http.response.status_code": code}
	}
	add(1, ptrace.SpanKindServer, "GET /orders/{id}", 20*time.Millisecond, httpAttrs(200), false)
	add(2, ptrace.SpanKindServer, "GET /orders/{id}", 3*time.Millisecond, httpAttrs(200), false)
	add(3, ptrace.SpanKindServer, "GET /orders/{id}", 2*time.Millisecond, httpAttrs(503), true)
	add(4, ptrace.SpanKindServer, "GET /orders/{id}", 1500*time.Millisecond, httpAttrs(500), true)
	add(5, ptrace.SpanKindServer, "Ledger/getContract", 12*time.Millisecond,
		map[string]any{"rpc.system": "grpc", "rpc.service": "Ledger", "rpc.method": "getContract", "rpc.grpc.status_code": 5}, true)
	add(6, ptrace.SpanKindServer, "Ledger/submit", 40*time.Millisecond,
		map[string]any{"rpc.system": "grpc", "rpc.service": "Ledger", "rpc.method": "submit", "rpc.grpc.status_code": 1}, true)
	add(7, ptrace.SpanKindServer, "healthcheck", 1*time.Millisecond, map[string]any{}, false)
	add(8, ptrace.SpanKindServer, "work", 1*time.Millisecond, map[string]any{}, true)
	add(9, ptrace.SpanKindClient, "GET upstream", 10*time.Millisecond, httpAttrs(500), true)
	add(10, ptrace.SpanKindInternal, "compute", 10*time.Millisecond, map[string]any{}, false)
	return td
}

func TestConnectorGoldenFromSpans(t *testing.T) {
	inPath := filepath.Join("testdata", "traces_to_metrics", "input.yaml")
	if *update {
		golden.WriteTraces(t, inPath, testTraces())
	}
	in, err := golden.ReadTraces(inPath)
	require.NoError(t, err)
	sink := new(consumertest.MetricsSink)
	c, err := NewConnectorFactory().CreateTracesToMetrics(t.Context(), connectortest.NewNopSettings(metadata.Type), goldenConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, c.ConsumeTraces(t.Context(), in))
	require.NoError(t, c.Shutdown(t.Context()))
	require.Len(t, sink.AllMetrics(), 1)
	checkGoldenMetrics(t, "traces_to_metrics", sink.AllMetrics()[0])
}

// mixLogs generates a known mix: HTTP numbers, RPC names in any case,
// busy, disconnect, with durations in known buckets.
func mixLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "mix")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	add := func(n int, attrs map[string]any) {
		for range n {
			_ = lrs.AppendEmpty().Attributes().FromRaw(attrs)
		}
	}
	http := func(status any, ms float64) map[string]any {
		return map[string]any{"service": "gw", "method": "POST", "path": "/v1/items/7?x=1", "status": status, "latency_ms": ms}
	}
	rpc := func(code string, ms float64) map[string]any {
		return map[string]any{"service": "Ledger", "method": "submit", "status_code": code, "duration_ms": ms}
	}
	add(10, http(200, 3))                 // 2xx, bucket <= 5ms
	add(4, http(302, 60))                 // 2xx, bucket <= 75ms
	add(3, http(404, 8))                  // 4xx, bucket <= 10ms
	add(2, http(500, 12000))              // 5xx, overflow bucket
	add(5, http(503, 1))                  // 503-busy
	add(1, http("503-busy", 2))           // literal busy
	add(2, http(499, 900))                // client-disconnect, bucket <= 1s
	add(1, http("client-disconnect", 30)) // literal
	add(6, rpc("OK", 4))                  // 2xx
	add(2, rpc("not_found", 20))          // 4xx, lower case
	add(1, rpc("Internal", 200))          // 5xx
	add(3, rpc("RESOURCE_EXHAUSTED", 0.5))
	add(1, rpc("CANCELLED", 1500))
	add(2, map[string]any{"service": "gw", "status": 200}) // no duration: counted, not in the histogram
	add(4, map[string]any{"msg": "connection opened"})     // not a request
	return ld
}

type point struct {
	count   int64
	hist    uint64
	buckets []uint64
}

func collect(t *testing.T, md pmetric.Metrics) map[string]point {
	t.Helper()
	out := map[string]point{}
	str := func(m pcommon.Map, k string) string {
		if v, ok := m.Get(k); ok {
			return v.AsString()
		}
		return ""
	}
	key := func(m pcommon.Map) string {
		return str(m, "service") + "|" + str(m, "operation") + "|" + str(m, "status_class")
	}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		ms := rms.At(i).ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			m := ms.At(j)
			switch m.Name() {
			case metricRequests:
				dps := m.Sum().DataPoints()
				for k := 0; k < dps.Len(); k++ {
					p := out[key(dps.At(k).Attributes())]
					p.count = dps.At(k).IntValue()
					out[key(dps.At(k).Attributes())] = p
				}
			case metricDuration:
				dps := m.Histogram().DataPoints()
				for k := 0; k < dps.Len(); k++ {
					p := out[key(dps.At(k).Attributes())]
					p.hist = dps.At(k).Count()
					p.buckets = dps.At(k).BucketCounts().AsRaw()
					out[key(dps.At(k).Attributes())] = p
				}
			}
		}
	}
	return out
}

func bucketsWith(idx ...int) []uint64 {
	b := make([]uint64, 15)
	for i := 0; i < len(idx); i += 2 {
		b[idx[i]] = uint64(idx[i+1])
	}
	return b
}

func TestConnectorKnownMix(t *testing.T) {
	clock := newFakeClock()
	sink := new(consumertest.MetricsSink)
	c, err := newRedConnector(goldenConfig(), componenttest.NewNopTelemetrySettings(), sink, clock.Now)
	require.NoError(t, err)
	c.consumed(t.Context(), c.engine.consumeLogs(mixLogs(), false))
	require.NoError(t, c.flush(t.Context()))
	require.Len(t, sink.AllMetrics(), 1)
	got := collect(t, sink.AllMetrics()[0])
	const op = "POST /v1/items/{id}"
	assert.Equal(t, map[string]point{
		"gw|" + op + "|2xx":               {count: 14, hist: 14, buckets: bucketsWith(0, 10, 4, 4)},
		"gw|" + op + "|4xx":               {count: 3, hist: 3, buckets: bucketsWith(1, 3)},
		"gw|" + op + "|5xx":               {count: 2, hist: 2, buckets: bucketsWith(14, 2)},
		"gw|" + op + "|503-busy":          {count: 6, hist: 6, buckets: bucketsWith(0, 6)},
		"gw|" + op + "|client-disconnect": {count: 3, hist: 3, buckets: bucketsWith(3, 1, 9, 2)},
		"Ledger|submit|2xx":               {count: 6, hist: 6, buckets: bucketsWith(0, 6)},
		"Ledger|submit|4xx":               {count: 2, hist: 2, buckets: bucketsWith(2, 2)},
		"Ledger|submit|5xx":               {count: 1, hist: 1, buckets: bucketsWith(6, 1)},
		"Ledger|submit|503-busy":          {count: 3, hist: 3, buckets: bucketsWith(0, 3)},
		"Ledger|submit|client-disconnect": {count: 1, hist: 1, buckets: bucketsWith(10, 1)},
		"gw||2xx":                         {count: 2},
	}, got)
}

func TestConnectorTemporality(t *testing.T) {
	for _, tc := range []struct {
		name        string
		temporality string
		want        []int64 // red.requests value after each flush
		wantStarts  []int   // start time, as the flush index it equals (-1: creation)
	}{
		{"cumulative", temporalityCumulative, []int64{2, 5, 5}, []int{-1, -1, -1}},
		{"delta", temporalityDelta, []int64{2, 3}, []int{-1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			created := clock.Now()
			cfg := goldenConfig()
			cfg.AggregationTemporality = tc.temporality
			sink := new(consumertest.MetricsSink)
			c, err := newRedConnector(cfg, componenttest.NewNopTelemetrySettings(), sink, clock.Now)
			require.NoError(t, err)
			one := func(n int) {
				ld := plog.NewLogs()
				lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
				for range n {
					lr := lrs.AppendEmpty()
					lr.Attributes().PutInt("status", 200)
					lr.Attributes().PutDouble("latency_ms", 10)
				}
				c.engine.consumeLogs(ld, false)
			}
			var flushes []time.Time
			flush := func() {
				clock.Advance(15 * time.Second)
				flushes = append(flushes, clock.Now())
				require.NoError(t, c.flush(t.Context()))
			}
			one(2)
			flush()
			one(3)
			flush()
			flush()
			var got []int64
			var starts []int
			for _, md := range sink.AllMetrics() {
				m := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
				require.Equal(t, metricRequests, m.Name())
				wantTemp := pmetric.AggregationTemporalityCumulative
				if tc.temporality == temporalityDelta {
					wantTemp = pmetric.AggregationTemporalityDelta
				}
				assert.Equal(t, wantTemp, m.Sum().AggregationTemporality())
				assert.True(t, m.Sum().IsMonotonic())
				dp := m.Sum().DataPoints().At(0)
				got = append(got, dp.IntValue())
				idx := -1
				for i, f := range flushes {
					if dp.StartTimestamp().AsTime().Equal(f) {
						idx = i
					}
				}
				if idx == -1 {
					assert.Equal(t, created, dp.StartTimestamp().AsTime())
				}
				starts = append(starts, idx)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.wantStarts, starts)
		})
	}
}

func TestConnectorOverflow(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	set := componenttest.NewNopTelemetrySettings()
	set.Logger = zap.New(core)
	cfg := goldenConfig()
	cfg.MaxSeries = 3
	sink := new(consumertest.MetricsSink)
	c, err := newRedConnector(cfg, set, sink, newFakeClock().Now)
	require.NoError(t, err)
	for batch := range 2 {
		ld := plog.NewLogs()
		lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		for i := range 5 {
			lr := lrs.AppendEmpty()
			lr.Attributes().PutStr("service", "svc")
			lr.Attributes().PutStr("model", fmt.Sprint("m", i+batch))
			lr.Attributes().PutInt("status", 200)
		}
		c.consumed(t.Context(), c.engine.consumeLogs(ld, false))
	}
	require.NoError(t, c.flush(t.Context()))
	got := collect(t, sink.AllMetrics()[0])
	assert.Len(t, got, 4, "3 series plus one overflow series")
	var overflow int64
	dps := sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		if v, ok := dps.At(i).Attributes().Get(overflowAttribute); ok {
			assert.True(t, v.Bool())
			overflow += dps.At(i).IntValue()
			_, hasSvc := dps.At(i).Attributes().Get("service")
			assert.False(t, hasSvc, "the overflow series carries no dimensions")
		}
	}
	assert.Equal(t, int64(10-3-2), overflow, "m0,m1,m2 are series; m3,m4 then m3..m5 overflow, m1,m2 recorded")
	assert.Equal(t, 1, logs.FilterMessageSnippet("max_series").Len(), "logged once")
}

func TestConnectorSeriesTTLAndRestart(t *testing.T) {
	clock := newFakeClock()
	cfg := goldenConfig()
	cfg.SeriesTTL = time.Minute
	sink := new(consumertest.MetricsSink)
	c, err := newRedConnector(cfg, componenttest.NewNopTelemetrySettings(), sink, clock.Now)
	require.NoError(t, err)
	send := func(c *redConnector, svc string) {
		ld := plog.NewLogs()
		lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.Attributes().PutStr("service", svc)
		lr.Attributes().PutInt("status", 200)
		c.engine.consumeLogs(ld, false)
	}
	services := func(md pmetric.Metrics) map[string]pmetric.NumberDataPoint {
		out := map[string]pmetric.NumberDataPoint{}
		dps := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			v, _ := dps.At(i).Attributes().Get("service")
			out[v.Str()] = dps.At(i)
		}
		return out
	}
	send(c, "old")
	clock.Advance(45 * time.Second)
	send(c, "new")
	clock.Advance(30 * time.Second) // old: 75 s idle, new: 30 s
	require.NoError(t, c.flush(t.Context()))
	got := services(sink.AllMetrics()[0])
	assert.Contains(t, got, "new")
	assert.NotContains(t, got, "old", "expired after series_ttl")

	// The expired series returns with a new start time: a reset, not a spike.
	send(c, "old")
	require.NoError(t, c.flush(t.Context()))
	got = services(sink.AllMetrics()[1])
	assert.Equal(t, int64(1), got["old"].IntValue())
	assert.Equal(t, clock.Now(), got["old"].StartTimestamp().AsTime())

	// A restarted connector starts its cumulative series again.
	first := services(sink.AllMetrics()[1])["new"]
	clock.Advance(time.Second)
	sink2 := new(consumertest.MetricsSink)
	c2, err := newRedConnector(cfg, componenttest.NewNopTelemetrySettings(), sink2, clock.Now)
	require.NoError(t, err)
	send(c2, "new")
	require.NoError(t, c2.flush(t.Context()))
	again := services(sink2.AllMetrics()[0])["new"]
	assert.Equal(t, int64(1), again.IntValue())
	assert.Greater(t, again.StartTimestamp(), first.StartTimestamp())
	assert.Greater(t, again.StartTimestamp(), first.Timestamp()-1, "new start is after the last point of the old process")
}

func TestConnectorExponentialAndExemplars(t *testing.T) {
	cfg := goldenConfig()
	cfg.Histogram.Exponential.MaxSize = 20
	sink := new(consumertest.MetricsSink)
	c, err := newRedConnector(cfg, componenttest.NewNopTelemetrySettings(), sink, newFakeClock().Now)
	require.NoError(t, err)
	c.engine.consumeTraces(testTraces(), false)
	require.NoError(t, c.flush(t.Context()))
	ms := sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	var found bool
	for i := 0; i < ms.Len(); i++ {
		m := ms.At(i)
		if m.Name() != metricDuration {
			continue
		}
		found = true
		require.Equal(t, pmetric.MetricTypeExponentialHistogram, m.Type())
		dps := m.ExponentialHistogram().DataPoints()
		var total uint64
		for k := 0; k < dps.Len(); k++ {
			dp := dps.At(k)
			var n uint64
			for _, b := range dp.Positive().BucketCounts().AsRaw() {
				n += b
			}
			assert.Equal(t, dp.Count(), n+dp.ZeroCount())
			assert.LessOrEqual(t, dp.Positive().BucketCounts().Len(), 20)
			assert.Equal(t, dp.Exemplars().Len(), int(dp.Count()), "every span carries a trace id")
			total += dp.Count()
		}
		assert.Equal(t, uint64(8), total, "8 server spans")
	}
	assert.True(t, found)
}

func TestConnectorSharesOneCorePerConfig(t *testing.T) {
	f := NewConnectorFactory()
	cfg := goldenConfig()
	sink := new(consumertest.MetricsSink)
	set := connectortest.NewNopSettings(metadata.Type)
	lc, err := f.CreateLogsToMetrics(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	tc, err := f.CreateTracesToMetrics(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	host := componenttest.NewNopHost()
	require.NoError(t, lc.Start(t.Context(), host))
	require.NoError(t, tc.Start(t.Context(), host))
	require.NoError(t, lc.ConsumeLogs(t.Context(), mixLogs()))
	require.NoError(t, tc.ConsumeTraces(t.Context(), testTraces()))
	require.NoError(t, lc.Shutdown(t.Context()))
	assert.Empty(t, sink.AllMetrics(), "the traces instance still holds the core")
	require.NoError(t, tc.Shutdown(t.Context()))
	require.NoError(t, tc.Shutdown(t.Context()), "shutdown twice is safe")
	require.Len(t, sink.AllMetrics(), 1, "one flush with both signals")
	assert.Equal(t, 2, sink.AllMetrics()[0].ResourceMetrics().Len(), "two resources: mix and checkout")
}

func TestConnectorShutdownWithoutStart(t *testing.T) {
	c, err := NewConnectorFactory().CreateLogsToMetrics(context.Background(), connectortest.NewNopSettings(metadata.Type), goldenConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, c.Shutdown(context.Background()))
}

func TestConnectorTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := connectortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := goldenConfig()
	cfg.MaxSeries = 2
	c, err := NewConnectorFactory().CreateLogsToMetrics(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, c.ConsumeLogs(t.Context(), logsFromJSONL(t, exampleLogsPath("aster-2026-04-06.jsonl"), "aster")))
	require.NoError(t, c.Shutdown(t.Context()))
	metadatatest.AssertEqualConnectorRedmetricsRequests(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "2xx"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "4xx"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "5xx"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "503-busy"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "client-disconnect"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorRedmetricsOverflowRequests(t, tel, []metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorRedmetricsSeries(t, tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
}
