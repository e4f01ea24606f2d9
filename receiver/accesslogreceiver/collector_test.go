package accesslogreceiver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
)

// TestCollectorConfig loads the proposed collector.yaml snippet the way the
// collector does, environment defaults included.
func TestCollectorConfig(t *testing.T) {
	t.Setenv("REDLINE_ACCESS_LOG_GLOB", "/var/log/aistack/access-*.jsonl")
	factories, err := otelcoltest.NopFactories()
	require.NoError(t, err)
	factories.Receivers[metadata.Type] = NewFactory()
	fs := filestorage.NewFactory()
	factories.Extensions[fs.Type()] = fs
	cfg, err := otelcoltest.LoadConfigAndValidate(filepath.Join("testdata", "collector.yaml"), factories)
	require.NoError(t, err)
	rc := cfg.Receivers[component.NewID(metadata.Type)].(*Config)
	assert.Equal(t, []string{"/var/log/aistack/access-*.jsonl"}, rc.Include)
	assert.Equal(t, StartAtBeginning, rc.StartAt)
	assert.Equal(t, component.MustNewIDWithName("file_storage", "accesslog"), *rc.Storage)
	assert.Equal(t, map[string]any{"service.name": "accesslog"}, rc.Resource)
}

func TestCollectorConfigDefaultGlob(t *testing.T) {
	t.Setenv("REDLINE_ACCESS_LOG_GLOB", "") // restored after the test
	require.NoError(t, os.Unsetenv("REDLINE_ACCESS_LOG_GLOB"))
	factories, err := otelcoltest.NopFactories()
	require.NoError(t, err)
	factories.Receivers[metadata.Type] = NewFactory()
	fs := filestorage.NewFactory()
	factories.Extensions[fs.Type()] = fs
	cfg, err := otelcoltest.LoadConfigAndValidate(filepath.Join("testdata", "collector.yaml"), factories)
	require.NoError(t, err)
	rc := cfg.Receivers[component.NewID(metadata.Type)].(*Config)
	assert.Equal(t, []string{"./examples/logs/*.jsonl"}, rc.Include)
}
