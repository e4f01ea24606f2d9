package payloadcapture

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"

	"github.com/redline-otel/redline/exporter/payloadcapture/internal/metadata"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig()
	require.NoError(t, confmap.New().Unmarshal(cfg))
	assert.Equal(t, NewFactory().CreateDefaultConfig(), cfg)
	c := cfg.(*Config)
	assert.False(t, c.Enabled, "capture is off unless switched on")
	assert.Equal(t, 7*24*time.Hour, c.maxAge())
	assert.Equal(t, int64(5)<<30, c.maxSizeBytes())
	assert.Equal(t, 30*time.Minute, c.SweepInterval)
	assert.True(t, c.QueueConfig.HasValue(), "the queue keeps a slow disk off the pipeline")
	assert.False(t, c.RetryConfig.Enabled)
	require.NoError(t, confmap.Validate(cfg))
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	full := createDefaultConfig().(*Config)
	full.Enabled = true
	full.Directory = "/data/payloads"
	full.CreateDirectory = false
	full.Fsync = true
	full.MaxAgeDays = 3
	full.MaxSizeGB = 0.5
	full.SweepInterval = 10 * time.Minute
	full.BodyEncoding = BodyEncodingBase64
	full.ScrubHeaders = []string{"X-Session-Token", "x_internal_secret"}
	full.Attributes = AttributesConfig{
		RequestBody: "req.body", ResponseBody: "resp.body", RequestHeaders: "req.headers", ResponseHeaders: "resp.headers",
		RequestID: []string{"rid"}, Service: []string{"svc"}, Method: []string{"verb"}, Path: []string{"route"},
		Category: []string{"kind"}, Status: []string{"code"}, DurationMS: []string{"ms"}, DurationS: []string{"secs"},
	}
	full.TimeoutConfig.Timeout = 10 * time.Second
	q := full.QueueConfig.Get()
	q.NumConsumers = 2
	q.QueueSize = 50
	full.RetryConfig.Enabled = true
	full.RetryConfig.InitialInterval = time.Second

	envValues := createDefaultConfig().(*Config)
	envValues.Enabled = true
	envValues.MaxAgeDays = 14
	envValues.MaxSizeGB = 2

	for _, tc := range []struct {
		name           string
		want           *Config
		unmarshalError string
		validateErrors []string
	}{
		{name: "", want: createDefaultConfig().(*Config)},
		{name: "full", want: full},
		{name: "integer_size", want: envValues},
		{name: "typo", unmarshalError: "enabeld"},
		{name: "no_directory", validateErrors: []string{"'directory' must not be empty"}},
		{name: "bad_limits", validateErrors: []string{"'max_age_days' must be at least 1", "'max_size_gb' must be a positive number", "'sweep_interval' must be positive"}},
		{name: "bad_encoding", validateErrors: []string{`'body_encoding' must be "raw" or "base64", got "hex"`}},
		{name: "no_bodies", validateErrors: []string{"'attributes::request_body' and 'attributes::response_body' must not both be empty"}},
		{name: "empty_keys", validateErrors: []string{"'attributes::request_id' must not contain an empty key", "'scrub_headers' must not contain an empty name"}},
		{name: "no_queue"},
	} {
		t.Run("config/"+tc.name, func(t *testing.T) {
			id := component.NewID(metadata.Type)
			if tc.name != "" {
				id = component.NewIDWithName(metadata.Type, tc.name)
			}
			sub, err := cm.Sub(id.String())
			require.NoError(t, err)
			cfg := NewFactory().CreateDefaultConfig()
			err = sub.Unmarshal(cfg)
			if tc.unmarshalError != "" {
				require.ErrorContains(t, err, tc.unmarshalError)
				return
			}
			require.NoError(t, err)
			err = confmap.Validate(cfg)
			if len(tc.validateErrors) > 0 {
				require.Error(t, err)
				for _, want := range tc.validateErrors {
					assert.ErrorContains(t, err, want)
				}
				return
			}
			require.NoError(t, err)
			if tc.want != nil {
				assert.Equal(t, tc.want, cfg)
			}
			if tc.name == "no_queue" {
				assert.False(t, cfg.(*Config).QueueConfig.HasValue())
			}
		})
	}
}

// TestEnvironmentVariables resolves the snippet config/collector.yaml uses,
// so the variables' day and GiB numbers land in the typed fields.
func TestEnvironmentVariables(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		enabled bool
		days    int
		gb      float64
	}{
		{name: "defaults", enabled: false, days: 7, gb: 5},
		{name: "set", env: map[string]string{"REDLINE_PAYLOAD_CAPTURE": "true", "REDLINE_PAYLOAD_MAX_DAYS": "2", "REDLINE_PAYLOAD_MAX_GB": "0.25"}, enabled: true, days: 2, gb: 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			resolver, err := confmap.NewResolver(confmap.ResolverSettings{
				URIs:              []string{"file:" + filepath.Join("testdata", "env.yaml")},
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
				DefaultScheme:     "env",
			})
			require.NoError(t, err)
			conf, err := resolver.Resolve(t.Context())
			require.NoError(t, err)
			sub, err := conf.Sub("payloadcapture")
			require.NoError(t, err)
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, sub.Unmarshal(cfg))
			require.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tc.enabled, cfg.Enabled)
			assert.Equal(t, tc.days, cfg.MaxAgeDays)
			assert.InDelta(t, tc.gb, cfg.MaxSizeGB, 0)
		})
	}
}
