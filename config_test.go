package redline_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"
	"go.opentelemetry.io/collector/pipeline"

	"github.com/redline-otel/redline/internal/distribution"
)

// TestDefaultConfigLoads loads config/collector.yaml with the distribution's
// factories, so a broken default config fails `go test ./...` without ocb.
func TestDefaultConfigLoads(t *testing.T) {
	factories, err := distribution.Components()
	require.NoError(t, err)

	cfg, err := otelcoltest.LoadConfigAndValidate(filepath.Join("config", "collector.yaml"), factories)
	require.NoError(t, err)

	assert.Contains(t, cfg.Extensions, component.MustNewID("file_storage"))
	for _, signal := range []pipeline.Signal{pipeline.SignalLogs, pipeline.SignalTraces, pipeline.SignalMetrics} {
		p, ok := cfg.Service.Pipelines[pipeline.NewID(signal)]
		require.True(t, ok, "pipeline %s", signal)
		assert.Contains(t, p.Receivers, component.MustNewID("otlp"))
		assert.NotContains(t, p.Processors, component.MustNewID("batch"), "batching belongs in the exporters' persistent sending_queue")
		assert.Equal(t, []component.ID{component.MustNewID("debug")}, p.Exporters, "default exporters from ${env:REDLINE_EXPORTERS:-[debug]}")
	}
}

// TestExportersFromEnvironment shows that REDLINE_EXPORTERS picks the
// exporters of every pipeline, as a YAML list.
func TestExportersFromEnvironment(t *testing.T) {
	t.Setenv("REDLINE_EXPORTERS", "[otlp, debug]")
	factories, err := distribution.Components()
	require.NoError(t, err)
	cfg, err := otelcoltest.LoadConfigAndValidate(filepath.Join("config", "collector.yaml"), factories)
	require.NoError(t, err)
	assert.Equal(t, []component.ID{component.MustNewID("otlp"), component.MustNewID("debug")},
		cfg.Service.Pipelines[pipeline.NewID(pipeline.SignalLogs)].Exporters)
}
