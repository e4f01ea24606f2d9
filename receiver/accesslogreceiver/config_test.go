package accesslogreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig()
	require.NoError(t, confmap.New().Unmarshal(cfg))
	assert.Equal(t, createDefaultConfig(), cfg)
	err := confmap.Validate(cfg)
	require.ErrorContains(t, err, "'include'", "include is required")
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	storageID := component.MustNewID("file_storage")

	full := createDefaultConfig().(*Config)
	full.Include = []string{"/var/log/app/access-*.jsonl", "/var/log/app/access-*.jsonl.gz"}
	full.Exclude = []string{"*.tmp"}
	full.StartAt = StartAtBeginning
	full.PollInterval = time.Second
	full.FingerprintSize = 2048
	full.MaxLineSize = 65536
	full.MaxConcurrentFiles = 16
	full.MaxBatchSize = 500
	full.ForceFlushPeriod = 2 * time.Second
	full.Storage = &storageID
	full.Format = FormatJSON
	full.OnParseError = OnParseErrorDrop
	full.IncludeFileName = false
	full.IncludeFilePath = true
	full.IncludeFileOffset = true
	full.Resource = map[string]any{"service.name": "aistack", "deployment.environment": "prod"}
	full.Encoding = EncodingLatin1
	full.MaxNestingDepth = 8
	full.RetryMaxInterval = 30 * time.Second

	minimal := createDefaultConfig().(*Config)
	minimal.Include = []string{"/var/log/app/*.jsonl"}
	assert.Equal(t, FormatAuto, minimal.Format, "auto is the default format")

	text := createDefaultConfig().(*Config)
	text.Include = []string{"/var/log/app/*.log"}
	text.Format = FormatText

	tests := []struct {
		name         string
		want         *Config
		unmarshalErr string
		validateErrs []string
	}{
		{name: "minimal", want: minimal},
		{name: "full", want: full},
		{name: "no_include", validateErrs: []string{"'include' must list at least one glob"}},
		{name: "bad_values", validateErrs: []string{
			"'include' glob \"[\"", "'include' must not contain an empty glob", "'exclude' glob \"a[\"",
			"'start_at'", "'poll_interval'", "'fingerprint_size'", "'max_line_size'", "'max_concurrent_files'",
			"'max_batch_size'", "'force_flush_period'", `'format' must be "auto", "json" or "text", got "logfmt"`, "'on_parse_error'", "'encoding'", "'max_nesting_depth'",
			"'retry_max_interval'",
		}},
		{name: "text", want: text},
		{name: "format_case", validateErrs: []string{`'format' must be "auto", "json" or "text", got "JSON"`}},
		{name: "misspelt", unmarshalErr: "start_at_"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tc.name).String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if tc.unmarshalErr != "" {
				require.ErrorContains(t, err, tc.unmarshalErr)
				return
			}
			require.NoError(t, err)
			err = confmap.Validate(cfg)
			if len(tc.validateErrs) > 0 {
				require.Error(t, err)
				for _, e := range tc.validateErrs {
					assert.ErrorContains(t, err, e)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg)
		})
	}
}
