package storageguardextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(name)
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg, confmap.Validate(cfg)
}

func TestConfig(t *testing.T) {
	cfg, err := loadConfig(t, "storage_guard")
	require.NoError(t, err)
	assert.Equal(t, component.MustNewID("file_storage"), cfg.Storage)
	assert.Equal(t, "/var/lib/redline/storage", cfg.Directory)
	assert.Equal(t, int64(64), cfg.MinFreeMiB, "default reserve")
	assert.Equal(t, time.Second, cfg.CheckInterval)
	assert.True(t, cfg.QuarantineCorrupt)
	assert.Equal(t, time.Second, cfg.LockTimeout)

	cfg, err = loadConfig(t, "storage_guard/full")
	require.NoError(t, err)
	assert.Equal(t, component.MustNewIDWithName("file_storage", "queues"), cfg.Storage)
	assert.Equal(t, int64(512), cfg.MinFreeMiB)
	assert.Equal(t, 5*time.Second, cfg.CheckInterval)
	assert.False(t, cfg.QuarantineCorrupt)
	assert.Equal(t, 3*time.Second, cfg.LockTimeout)
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for name, field := range map[string]string{
		"storage_guard/no_storage":       "storage:",
		"storage_guard/no_directory":     "directory:",
		"storage_guard/negative_reserve": "min_free_mib:",
		"storage_guard/zero_interval":    "check_interval:",
		"storage_guard/guards_itself":    "storage:",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(t, name)
			require.Error(t, err)
			assert.Contains(t, err.Error(), field)
		})
	}
}
