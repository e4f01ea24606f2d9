package redmetricsprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadatatest"
)

// fakeRegistry stands in for the healthz extension.
type fakeRegistry struct {
	component.StartFunc
	component.ShutdownFunc
	mu      sync.Mutex
	sources map[string]snapshot.Source
}

func (r *fakeRegistry) RegisterSource(name string, src snapshot.Source) func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sources[name] = src
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.sources, name)
	}
}

func (r *fakeRegistry) get(name string) snapshot.Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sources[name]
}

type fakeHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h fakeHost) GetExtensions() map[component.ID]component.Component { return h.exts }

func newHost() (fakeHost, *fakeRegistry) {
	reg := &fakeRegistry{sources: map[string]snapshot.Source{}}
	return fakeHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{component.MustNewID("healthz"): reg}}, reg
}

func TestProcessorStampsAndPassesThrough(t *testing.T) {
	for _, ex := range exampleLogs {
		t.Run(ex.service, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), goldenConfig(), sink)
			require.NoError(t, err)
			require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
			t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
			require.NoError(t, p.ConsumeLogs(t.Context(), logsFromJSONL(t, exampleLogsPath(ex.file), ex.service)))
			require.Len(t, sink.AllLogs(), 1)
			path := filepath.Join("testdata", "processor_logs", ex.service+".yaml")
			if *update {
				golden.WriteLogs(t, path, sink.AllLogs()[0])
			}
			want, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, sink.AllLogs()[0]))
		})
	}
}

func TestProcessorStampsSpans(t *testing.T) {
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(t.Context(), processortest.NewNopSettings(metadata.Type), goldenConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	require.NoError(t, p.ConsumeTraces(t.Context(), testTraces()))
	path := filepath.Join("testdata", "processor_traces", "expected.yaml")
	if *update {
		golden.WriteTraces(t, path, sink.AllTraces()[0])
	}
	want, err := golden.ReadTraces(path)
	require.NoError(t, err)
	require.NoError(t, ptracetest.CompareTraces(want, sink.AllTraces()[0]))
}

// newTestProcessor builds the processor core with a fake clock and feeds
// it the three example logs.
func newTestProcessor(t *testing.T, clock *fakeClock) *redProcessor {
	t.Helper()
	p, err := newRedProcessor(goldenConfig(), componenttest.NewNopTelemetrySettings(), component.MustNewID("redmetrics"), clock.Now)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.shutdown(context.Background())) })
	clock.Advance(10 * time.Second)
	for _, ex := range exampleLogs {
		_, err := p.processLogs(t.Context(), logsFromJSONL(t, exampleLogsPath(ex.file), ex.service))
		require.NoError(t, err)
	}
	return p
}

func TestProcessorSnapshot(t *testing.T) {
	clock := newFakeClock()
	clock.Advance(3 * time.Hour) // the logs are read after they were written
	p := newTestProcessor(t, clock)
	src := &snapshotSource{engine: p.engine}
	snap := src.Snapshot().(Snapshot)
	assert.Equal(t, Totals{Started: 16, Succeeded: 4, Failed: 7, Busy: 2, ClientDisconnect: 3, ErrorRate: 7.0 / 16}, snap.Totals)

	byOp := map[string]Operation{}
	for _, op := range snap.Operations {
		byOp[op.Service+" "+op.Operation] = op
	}
	llm := byOp["llm POST /v1/chat/completions"]
	assert.Equal(t, uint64(3), llm.Total)
	assert.Equal(t, map[string]uint64{"2xx": 1, "4xx": 1, "5xx": 0, "503-busy": 1, "client-disconnect": 0}, llm.Classes)
	assert.InDelta(t, 1.0/3, llm.ErrorRate, 1e-12, "busy is not an error")
	// The logs were read hours after they were written: the window is the
	// 5 minutes of request time before aistack's last line (09:12:06.3),
	// to within its 30-second slots (from 09:07:30).
	require.NotNil(t, snap.Window)
	assert.Equal(t, "2026-05-08T09:07:30Z", snap.Window.Start)
	assert.Equal(t, "2026-05-08T09:12:06.3Z", snap.Window.End)
	assert.Equal(t, Totals{Started: 6, Succeeded: 2, Failed: 2, Busy: 1, ClientDisconnect: 1, ErrorRate: 2.0 / 6}, snap.Window.Totals, "aistack's lines only")
	assert.InDelta(t, 3/276.3, llm.RequestsPerSecond, 1e-9)
	require.NotNil(t, llm.Window)
	assert.Equal(t, llm.Classes, llm.Window.Classes)
	require.NotNil(t, llm.Window.DurationMS)
	assert.InDelta(t, llm.DurationMS.Sum, llm.Window.DurationMS.Sum, 1e-9)
	assert.InDelta(t, 1830.2+2.1+0.9, llm.DurationMS.Sum, 1e-9)
	require.NotNil(t, llm.DurationMS)
	assert.InDelta(t, 0.9, llm.DurationMS.Min, 1e-9)
	assert.InDelta(t, 1830.2, llm.DurationMS.Max, 1e-9)
	assert.InDelta(t, (1830.2+2.1+0.9)/3, llm.DurationMS.Avg, 1e-9)
	assert.Equal(t, map[string]float64{"red.input_tokens": 512, "red.output_tokens": 128, "red.cost_usd": 0.00042}, llm.Sums)
	require.Len(t, llm.Recent, 3)
	assert.Equal(t, "videocraft-7781-step-2", llm.Recent[0].RequestID)
	assert.Equal(t, int64(200), llm.Recent[0].Status)
	assert.Equal(t, "503-busy", llm.Recent[1].Status)
	assert.Equal(t, "503-busy", llm.Recent[1].Class)
	assert.Equal(t, "2026-05-08T09:12:04.55Z", llm.Recent[1].Time)

	// Astrocyte has no service field: the resource's service.name groups it.
	recall := byOp["astrocyte POST /v1/recall"]
	assert.Equal(t, uint64(2), recall.Total)
	assert.InDelta(t, 0.5, recall.ErrorRate, 1e-12)
	hello := byOp["Hello sayHello"]
	assert.Equal(t, uint64(1), hello.Classes["503-busy"], "RESOURCE_EXHAUSTED is busy")

	// The document is JSON; compare it with the golden file.
	got, err := json.MarshalIndent(snap, "", "  ")
	require.NoError(t, err)
	path := filepath.Join("testdata", "snapshot.json")
	if *update {
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o600))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))

	// A request an hour later slides the window past everything before it.
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 5, 8, 10, 12, 0, 0, time.UTC)))
	lr.Attributes().PutInt("status", 200)
	lr.Attributes().PutStr("path", "/later")
	_, err = p.processLogs(t.Context(), ld)
	require.NoError(t, err)
	later := src.Snapshot().(Snapshot)
	assert.Equal(t, uint64(1), later.Window.Started)
	for _, op := range later.Operations {
		if op.Operation != "/later" {
			assert.Zero(t, op.RequestsPerSecond, op.Operation)
			assert.Zero(t, op.Window.Total, op.Operation)
			assert.NotZero(t, op.Total, "since start, %s", op.Operation)
		}
	}
}

func TestProcessorPrometheus(t *testing.T) {
	p := newTestProcessor(t, newFakeClock())
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(&snapshotSource{engine: p.engine}))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var buf bytes.Buffer
	for _, mf := range mfs {
		_, err := expfmt.MetricFamilyToText(&buf, mf)
		require.NoError(t, err)
	}
	path := filepath.Join("testdata", "prometheus.txt")
	if *update {
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), buf.String())
	assert.Contains(t, buf.String(), `red_requests_total{operation="POST /v1/chat/completions",service="llm",status_class="503-busy"} 1`)
	assert.Contains(t, buf.String(), `red_duration_seconds_bucket{operation="POST /v1/recall",service="astrocyte",status_class="5xx",le="10"} 1`)
}

func TestProcessorRegistersWithHealthz(t *testing.T) {
	host, reg := newHost()
	f := NewFactory()
	cfg := goldenConfig()
	set := processortest.NewNopSettings(metadata.Type)
	lp, err := f.CreateLogs(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	tp, err := f.CreateTraces(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, lp.Start(t.Context(), host))
	require.NoError(t, tp.Start(t.Context(), host))
	name := snapshot.Name(component.KindProcessor, set.ID)
	src := reg.get(name)
	require.NotNil(t, src, "registered as %s", name)
	_, isCollector := src.(prometheus.Collector)
	assert.True(t, isCollector)

	// Logs and traces feed one aggregate.
	require.NoError(t, lp.ConsumeLogs(t.Context(), mixLogs()))
	require.NoError(t, tp.ConsumeTraces(t.Context(), testTraces()))
	assert.Equal(t, uint64(43+8), src.Snapshot().(Snapshot).Totals.Started)

	require.NoError(t, lp.Shutdown(t.Context()))
	assert.NotNil(t, reg.get(name), "still registered while the traces instance runs")
	require.NoError(t, tp.Shutdown(t.Context()))
	assert.Nil(t, reg.get(name))
}

func TestProcessorTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	p, err := NewFactory().CreateLogs(t.Context(), metadatatest.NewSettings(tel), goldenConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, p.ConsumeLogs(t.Context(), logsFromJSONL(t, exampleLogsPath("aster-2026-04-06.jsonl"), "aster")))
	require.NoError(t, p.Shutdown(t.Context()))
	metadatatest.AssertEqualProcessorRedmetricsRequests(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "2xx"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "4xx"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "5xx"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "503-busy"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("status_class", "client-disconnect"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRedmetricsSeries(t, tel, []metricdata.DataPoint[int64]{{Value: 5}}, metricdatatest.IgnoreTimestamp())
}

func TestProcessorMatchAndExistingClass(t *testing.T) {
	cfg := goldenConfig()
	cfg.Match = []MatchConfig{{Field: "event", Values: []string{"http_request"}}}
	p, err := newRedProcessor(cfg, componenttest.NewNopTelemetrySettings(), component.MustNewID("redmetrics"), newFakeClock().Now)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.shutdown(context.Background())) })
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	a := lrs.AppendEmpty().Attributes()
	a.PutStr("event", "http_request")
	a.PutInt("status_code", 500)
	a.PutStr("status_class", "503-busy") // set upstream: taken as it is
	b := lrs.AppendEmpty().Attributes()
	b.PutStr("event", "other")
	b.PutInt("status_code", 200)
	c := lrs.AppendEmpty().Attributes()
	c.PutStr("event", "http_request")
	c.PutStr("status_class", "4xx") // only a class: still a request
	_, err = p.processLogs(t.Context(), ld)
	require.NoError(t, err)
	snap := (&snapshotSource{engine: p.engine}).Snapshot().(Snapshot)
	assert.Equal(t, Totals{Started: 2, Failed: 1, Busy: 1, ErrorRate: 0.5}, snap.Totals)
	_, stamped := b.Get("status_class")
	assert.False(t, stamped, "records that do not match are left alone")
}

func TestConcurrentUse(t *testing.T) {
	host, reg := newHost()
	cfg := goldenConfig()
	cfg.MetricsFlushInterval = 5 * time.Millisecond
	set := processortest.NewNopSettings(metadata.Type)
	p, err := NewFactory().CreateLogs(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), host))
	sink := new(consumertest.MetricsSink)
	c, err := NewConnectorFactory().CreateTracesToMetrics(t.Context(), connectortestSettings(), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context(), host))
	src := reg.get(snapshot.Name(component.KindProcessor, set.ID))
	require.NotNil(t, src)

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				assert.NoError(t, p.ConsumeLogs(context.Background(), mixLogs()))
				assert.NoError(t, c.ConsumeTraces(context.Background(), testTraces()))
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		reg := prometheus.NewRegistry()
		assert.NoError(t, reg.Register(src.(prometheus.Collector)))
		for range 50 {
			_ = src.Snapshot()
			_, err := reg.Gather()
			assert.NoError(t, err)
		}
	}()
	wg.Wait()
	require.NoError(t, p.Shutdown(t.Context()))
	require.NoError(t, c.Shutdown(t.Context()))
	var last int64
	md := sink.AllMetrics()[len(sink.AllMetrics())-1]
	dps := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		last += dps.At(i).IntValue()
	}
	assert.Equal(t, int64(4*50*8), last, "cumulative total after the final flush")
}
