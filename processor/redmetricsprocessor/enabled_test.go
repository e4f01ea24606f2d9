package redmetricsprocessor

import (
	"context"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadatatest"
)

func disabledConfig() *Config {
	cfg := goldenConfig()
	cfg.Enabled = false
	return cfg
}

// REDLINE_RED=false (enabled: false): the processor passes data through as
// it came, registers nothing with healthz and counts nothing.
func TestProcessorDisabledPassesThrough(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	host, reg := newHost()
	set := metadatatest.NewSettings(tel)
	f := NewFactory()
	cfg := disabledConfig()
	logsSink, tracesSink := new(consumertest.LogsSink), new(consumertest.TracesSink)
	lp, err := f.CreateLogs(t.Context(), set, cfg, logsSink)
	require.NoError(t, err)
	tp, err := f.CreateTraces(t.Context(), set, cfg, tracesSink)
	require.NoError(t, err)
	assert.False(t, lp.Capabilities().MutatesData, "nothing is written, so the pipeline need not copy")
	require.NoError(t, lp.Start(t.Context(), host))
	require.NoError(t, tp.Start(t.Context(), host))
	assert.Nil(t, reg.get(snapshot.Name(component.KindProcessor, set.ID)))

	ld := logsFromJSONL(t, exampleLogsPath("access-2026-05-08.jsonl"), "aistack")
	want := plog.NewLogs()
	ld.CopyTo(want)
	require.NoError(t, lp.ConsumeLogs(t.Context(), ld))
	require.NoError(t, plogtest.CompareLogs(want, logsSink.AllLogs()[0]))
	td := testTraces()
	wantTraces := ptrace.NewTraces()
	td.CopyTo(wantTraces)
	require.NoError(t, tp.ConsumeTraces(t.Context(), td))
	require.NoError(t, ptracetest.CompareTraces(wantTraces, tracesSink.AllTraces()[0]))

	require.NoError(t, lp.Shutdown(t.Context()))
	require.NoError(t, tp.Shutdown(t.Context()))
	_, err = tel.GetMetric("otelcol_processor_redmetrics_requests")
	require.Error(t, err, "no request was counted")
}

// The connector switched off emits no metrics, not even on shutdown.
func TestConnectorDisabledEmitsNothing(t *testing.T) {
	sink := new(consumertest.MetricsSink)
	f := NewConnectorFactory()
	set := connectortest.NewNopSettings(metadata.Type)
	cfg := disabledConfig()
	lc, err := f.CreateLogsToMetrics(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	tc, err := f.CreateTracesToMetrics(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, lc.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, tc.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, lc.ConsumeLogs(t.Context(), mixLogs()))
	require.NoError(t, tc.ConsumeTraces(t.Context(), testTraces()))
	require.NoError(t, lc.Shutdown(t.Context()))
	require.NoError(t, tc.Shutdown(t.Context()))
	assert.Empty(t, sink.AllMetrics())
}
