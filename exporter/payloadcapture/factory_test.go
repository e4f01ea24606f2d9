package payloadcapture

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/redline-otel/redline/exporter/payloadcapture/internal/metadata"
)

// TestFactoryQueueDrainsOnShutdown goes through the factory with the
// default sending queue: ConsumeLogs returns at once and Shutdown drains the
// queue, so every accepted capture is on disk afterwards.
func TestFactoryQueueDrainsOnShutdown(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Enabled = true
	cfg.Directory = filepath.Join(t.TempDir(), "payloads")
	require.True(t, cfg.QueueConfig.HasValue())

	exp, err := NewFactory().CreateLogs(t.Context(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(t.Context(), componenttest.NewNopHost()))
	ids := []string{"q1", "q2", "q3"}
	for _, id := range ids {
		require.NoError(t, exp.ConsumeLogs(t.Context(), requestLogs(func(lr plog.LogRecord) {
			lr.Attributes().PutStr("request_id", id)
		})))
	}
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Equal(t, []string{"2026-05-08/q1", "2026-05-08/q2", "2026-05-08/q3"}, captureFolders(t, cfg.Directory))
}

func TestFactoryDefaultIsDisabled(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	assert.False(t, cfg.Enabled)
	assert.Equal(t, metadata.LogsStability, NewFactory().LogsStability())
}
