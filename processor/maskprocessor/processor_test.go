package maskprocessor

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/redline-otel/redline/processor/maskprocessor/internal/metadata"
)

var update = flag.Bool("update", false, "rewrite testdata/*/expected.yaml from the processor's output")

func defaultCfg() *Config { return createDefaultConfig().(*Config) }

func hashCfg() *Config {
	c := defaultCfg()
	c.Secrets.Action = ActionHash
	c.Query.Action = ActionHash
	c.PII.Action = ActionHash
	c.Hash.Key = "golden-test-key"
	return c
}

func annotateCfg() *Config {
	c := defaultCfg()
	c.Annotate = true
	return c
}

// underscoreCfg annotates with the seed's spelling, pii_detected and pii_types.
func underscoreCfg() *Config {
	c := annotateCfg()
	c.AnnotateStyle = AnnotateUnderscore
	return c
}

// runLogs pushes ld through a factory-built processor and returns the output.
func runLogs(t *testing.T, cfg *Config, ld plog.Logs) plog.Logs {
	t.Helper()
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	require.NoError(t, p.ConsumeLogs(t.Context(), ld))
	require.Len(t, sink.AllLogs(), 1)
	return sink.AllLogs()[0]
}

func runTraces(t *testing.T, cfg *Config, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	require.NoError(t, p.ConsumeTraces(t.Context(), td))
	require.Len(t, sink.AllTraces(), 1)
	return sink.AllTraces()[0]
}

func runMetrics(t *testing.T, cfg *Config, md pmetric.Metrics) pmetric.Metrics {
	t.Helper()
	sink := new(consumertest.MetricsSink)
	p, err := NewFactory().CreateMetrics(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	require.NoError(t, p.ConsumeMetrics(t.Context(), md))
	require.Len(t, sink.AllMetrics(), 1)
	return sink.AllMetrics()[0]
}

func TestGoldenLogs(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *Config
	}{
		{"logs", defaultCfg()},
		{"logs_annotate_underscore", underscoreCfg()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := golden.ReadLogs(filepath.Join("testdata", tc.name, "input.yaml"))
			require.NoError(t, err)
			got := runLogs(t, tc.cfg, in)
			path := filepath.Join("testdata", tc.name, "expected.yaml")
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, got))
			}
			want, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, got))

			// Idempotent: the output goes through unchanged.
			again := plog.NewLogs()
			got.CopyTo(again)
			require.NoError(t, plogtest.CompareLogs(want, runLogs(t, tc.cfg, again)))
		})
	}
}

func TestGoldenTraces(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *Config
	}{
		{"traces", defaultCfg()},
		{"traces_hash", hashCfg()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := golden.ReadTraces(filepath.Join("testdata", tc.name, "input.yaml"))
			require.NoError(t, err)
			got := runTraces(t, tc.cfg, in)
			path := filepath.Join("testdata", tc.name, "expected.yaml")
			if *update {
				require.NoError(t, golden.WriteTraces(t, path, got))
			}
			want, err := golden.ReadTraces(path)
			require.NoError(t, err)
			require.NoError(t, ptracetest.CompareTraces(want, got))

			again := ptrace.NewTraces()
			got.CopyTo(again)
			require.NoError(t, ptracetest.CompareTraces(want, runTraces(t, tc.cfg, again)))
		})
	}
}

func TestGoldenMetrics(t *testing.T) {
	in, err := golden.ReadMetrics(filepath.Join("testdata", "metrics", "input.yaml"))
	require.NoError(t, err)
	got := runMetrics(t, defaultCfg(), in)
	path := filepath.Join("testdata", "metrics", "expected.yaml")
	if *update {
		require.NoError(t, golden.WriteMetrics(t, path, got, golden.SkipMetricTimestampNormalization()))
	}
	want, err := golden.ReadMetrics(path)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(want, got))

	again := pmetric.NewMetrics()
	got.CopyTo(again)
	require.NoError(t, pmetrictest.CompareMetrics(want, runMetrics(t, defaultCfg(), again)))
}

// TestDisabledPassesThrough: enabled=false leaves every signal untouched and
// declares that it does not mutate data.
func TestDisabledPassesThrough(t *testing.T) {
	cfg := defaultCfg()
	cfg.Enabled = false
	ld, err := golden.ReadLogs(filepath.Join("testdata", "logs", "input.yaml"))
	require.NoError(t, err)
	want := plog.NewLogs()
	ld.CopyTo(want)
	require.NoError(t, plogtest.CompareLogs(want, runLogs(t, cfg, ld)))

	td, err := golden.ReadTraces(filepath.Join("testdata", "traces", "input.yaml"))
	require.NoError(t, err)
	wantT := ptrace.NewTraces()
	td.CopyTo(wantT)
	require.NoError(t, ptracetest.CompareTraces(wantT, runTraces(t, cfg, td)))

	md, err := golden.ReadMetrics(filepath.Join("testdata", "metrics", "input.yaml"))
	require.NoError(t, err)
	wantM := pmetric.NewMetrics()
	md.CopyTo(wantM)
	require.NoError(t, pmetrictest.CompareMetrics(wantM, runMetrics(t, cfg, md)))

	p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.False(t, p.Capabilities().MutatesData)
	p, err = NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), defaultCfg(), consumertest.NewNop())
	require.NoError(t, err)
	assert.True(t, p.Capabilities().MutatesData)
}

func TestCreateRejectsBadConfig(t *testing.T) {
	cfg := defaultCfg()
	cfg.PII.Action = ActionHash // no hash.key
	f := NewFactory()
	set := processortest.NewNopSettings(metadata.Type)
	for name, create := range map[string]func() error{
		"logs": func() error {
			_, err := f.CreateLogs(t.Context(), set, cfg, consumertest.NewNop())
			return err
		},
		"traces": func() error {
			_, err := f.CreateTraces(t.Context(), set, cfg, consumertest.NewNop())
			return err
		},
		"metrics": func() error {
			_, err := f.CreateMetrics(t.Context(), set, cfg, consumertest.NewNop())
			return err
		},
	} {
		err := create()
		require.Error(t, err, name)
		assert.ErrorContains(t, err, "create mask processor", name)
	}
}

var _ processor.Factory = NewFactory()
