package maskprocessor

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/processor/maskprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/maskprocessor/internal/metadatatest"
)

// Masked values in testdata/logs/input.yaml with the default rules
// (deployment.api_key is one of the secrets: its words end with api key).
var goldenLogsMasked = map[string]int64{
	"secret": 6, "identifier": 3, "header": 3, "query": 1, "email": 3, "phone": 1, "card": 1,
}

func TestTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	p, err := NewFactory().CreateLogs(t.Context(), metadatatest.NewSettings(tel), defaultCfg(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	ld, err := golden.ReadLogs(filepath.Join("testdata", "logs", "input.yaml"))
	require.NoError(t, err)
	require.NoError(t, p.ConsumeLogs(t.Context(), ld))

	var want []metricdata.DataPoint[int64]
	for rule, n := range goldenLogsMasked {
		want = append(want, metricdata.DataPoint[int64]{
			Attributes: attribute.NewSet(attribute.String("rule", rule)), Value: n,
		})
	}
	metadatatest.AssertEqualProcessorMaskMaskedValues(t, tel, want, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorMaskRecordsTouched(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 4}}, metricdatatest.IgnoreTimestamp())
	require.NoError(t, p.Shutdown(t.Context()))
}

// TestTelemetryResourceOnly: values masked in resource attributes are counted
// even when no record changes.
func TestTelemetryResourceOnly(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	p, err := NewFactory().CreateLogs(t.Context(), metadatatest.NewSettings(tel), defaultCfg(), consumertest.NewNop())
	require.NoError(t, err)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("api_key", "k")
	rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("clean")
	require.NoError(t, p.ConsumeLogs(t.Context(), ld))
	metadatatest.AssertEqualProcessorMaskMaskedValues(t, tel, []metricdata.DataPoint[int64]{{
		Attributes: attribute.NewSet(attribute.String("rule", "secret")), Value: 1,
	}}, metricdatatest.IgnoreTimestamp())
	require.NoError(t, p.Shutdown(t.Context()))
}

type fakeRegistry struct {
	component.StartFunc
	component.ShutdownFunc
	sources map[string]snapshot.Source
}

func (r *fakeRegistry) RegisterSource(name string, src snapshot.Source) func() {
	r.sources[name] = src
	return func() { delete(r.sources, name) }
}

type hostWithRegistry struct{ reg *fakeRegistry }

func (h hostWithRegistry) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{component.MustNewID("healthz"): h.reg}
}

func TestSnapshotSharedAcrossSignals(t *testing.T) {
	reg := &fakeRegistry{sources: map[string]snapshot.Source{}}
	host := hostWithRegistry{reg: reg}
	cfg := defaultCfg()
	f := NewFactory()
	set := processortest.NewNopSettings(metadata.Type)

	logs, err := f.CreateLogs(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	traces, err := f.CreateTraces(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, logs.Start(t.Context(), host))
	require.NoError(t, traces.Start(t.Context(), host))
	require.Len(t, reg.sources, 1)
	name := snapshot.Name(component.KindProcessor, set.ID)
	src := reg.sources[name]
	require.NotNil(t, src, name)

	ld, err := golden.ReadLogs(filepath.Join("testdata", "logs", "input.yaml"))
	require.NoError(t, err)
	require.NoError(t, logs.ConsumeLogs(t.Context(), ld))
	td, err := golden.ReadTraces(filepath.Join("testdata", "traces", "input.yaml"))
	require.NoError(t, err)
	require.NoError(t, traces.ConsumeTraces(t.Context(), td))

	snap := src.Snapshot().(maskSnapshot)
	assert.True(t, snap.Enabled)
	assert.Equal(t, uint64(5), snap.RecordsSeen) // 4 log records + 1 span
	assert.Equal(t, uint64(5), snap.RecordsTouched)
	assert.Equal(t, uint64(goldenLogsMasked["email"]+2), snap.MaskedValues["email"]) // + event and status message
	assert.Equal(t, uint64(goldenLogsMasked["query"]+2), snap.MaskedValues["query"])
	assert.Contains(t, snap.MaskedValues, "ipv6")

	promReg := prometheus.NewPedanticRegistry()
	require.NoError(t, promReg.Register(src.(prometheus.Collector)))
	families, err := promReg.Gather()
	require.NoError(t, err)
	values := map[string]float64{}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			values[key] = m.GetCounter().GetValue()
		}
	}
	assert.InDelta(t, 5, values["redline_mask_records_seen_total"], 0)
	assert.InDelta(t, 5, values["redline_mask_records_touched_total"], 0)
	assert.InDelta(t, float64(goldenLogsMasked["secret"]+1), values["redline_mask_masked_values_total/secret"], 0) // + link client_secret

	require.NoError(t, logs.Shutdown(t.Context()))
	assert.Len(t, reg.sources, 1, "still registered while traces runs")
	require.NoError(t, traces.Shutdown(t.Context()))
	require.NoError(t, traces.Shutdown(t.Context()), "shutdown twice")
	assert.Empty(t, reg.sources)
}
