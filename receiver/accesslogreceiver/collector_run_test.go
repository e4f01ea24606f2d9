package accesslogreceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
)

// TestRunsInCollector runs a real collector service over the seed logs with
// file_storage, then reads the checkpoints it left: every file was read to
// its end and the offsets were saved.
func TestRunsInCollector(t *testing.T) {
	dir := t.TempDir()
	logDir := filepath.Join(dir, "logs")
	require.NoError(t, os.Mkdir(logDir, 0o700))
	sizes := map[string]int64{}
	for _, name := range []string{"aster-2026-04-06", "astrocyte-access", "access-2026-05-08"} {
		data, err := os.ReadFile(filepath.Join("testdata", "golden", name+".jsonl"))
		require.NoError(t, err)
		p := filepath.Join(logDir, name+".jsonl")
		require.NoError(t, os.WriteFile(p, data, 0o600))
		sizes[p] = int64(len(data))
	}
	storageDir := filepath.Join(dir, "storage")
	cfgPath := filepath.Join(dir, "collector.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
extensions:
  file_storage:
    directory: %s
    create_directory: true
receivers:
  accesslog:
    include: ["%s"]
    start_at: beginning
    poll_interval: 10ms
    storage: file_storage
exporters:
  nop:
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [accesslog]
      exporters: [nop]
`, storageDir, filepath.Join(logDir, "*.jsonl")), 0o600))

	factories := func() (otelcol.Factories, error) {
		f, err := otelcoltest.NopFactories()
		if err != nil {
			return f, err
		}
		f.Receivers[metadata.Type] = NewFactory()
		fs := filestorage.NewFactory()
		f.Extensions[fs.Type()] = fs
		return f, nil
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		Factories:               factories,
		BuildInfo:               component.NewDefaultBuildInfo(),
		DisableGracefulShutdown: true,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{cfgPath},
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		}},
	})
	require.NoError(t, err)
	runErr := make(chan error, 1)
	go func() { runErr <- col.Run(context.Background()) }()
	waitFor(t, "collector running", func() bool {
		select {
		case err := <-runErr:
			require.NoError(t, err, "collector stopped")
			t.Fatal("collector stopped")
		default:
		}
		return col.GetState() == otelcol.StateRunning
	})
	time.Sleep(300 * time.Millisecond) // a few polls: the files are tiny
	col.Shutdown()
	select {
	case err := <-runErr:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("collector did not stop")
	}

	// Read the checkpoints back through the extension, as the receiver would.
	host := newTestHost()
	ext := startFileStorage(t, host, storageDir)
	defer mustShutdown(t, ext)
	client, err := ext.(storage.Extension).GetClient(context.Background(), component.KindReceiver, component.NewID(metadata.Type), "")
	require.NoError(t, err)
	defer func() { require.NoError(t, client.Close(context.Background())) }()
	data, err := client.Get(context.Background(), checkpointKey)
	require.NoError(t, err)
	var doc checkpointDoc
	require.NoError(t, json.Unmarshal(data, &doc))
	got := map[string]int64{}
	for _, cp := range doc.Files {
		got[cp.Path] = cp.Offset
	}
	assert.Equal(t, sizes, got)
}
