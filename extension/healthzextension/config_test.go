package healthzextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/redline-otel/redline/extension/healthzextension/internal/metadata"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig()
	require.NoError(t, confmap.New().Unmarshal(&cfg))
	assert.Equal(t, NewFactory().CreateDefaultConfig(), cfg)
	def := cfg.(*Config)
	assert.Equal(t, "127.0.0.1:13133", def.Server.NetAddr.Endpoint, "loopback unless configured")
	assert.Zero(t, def.DrainDelay)
	assert.False(t, def.MetricsAuth.HasValue())
	require.NoError(t, confmap.Validate(cfg))
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	withDefaults := func(mut func(*Config)) *Config {
		cfg := createDefaultConfig().(*Config)
		mut(cfg)
		return cfg
	}
	for _, tc := range []struct {
		name         string
		want         *Config
		unmarshalErr string
		validateErr  string
	}{
		{name: "", want: withDefaults(func(*Config) {})},
		{name: "all_interfaces", want: withDefaults(func(c *Config) { c.Server.NetAddr.Endpoint = "0.0.0.0:13133" })},
		{name: "full", want: withDefaults(func(c *Config) {
			c.Server.NetAddr.Endpoint = "127.0.0.1:14000"
			c.Server.ReadHeaderTimeout = 5 * time.Second
			c.DrainDelay = 15 * time.Second
			c.MetricsAuth = configoptional.Some(MetricsAuthConfig{BearerToken: "s3cret"})
		})},
		{name: "authenticator", want: withDefaults(func(c *Config) {
			c.MetricsAuth = configoptional.Some(MetricsAuthConfig{Authenticator: component.MustNewIDWithName("basicauth", "metrics")})
		})},
		{name: "empty_endpoint", validateErr: "'endpoint' must not be empty"},
		{name: "negative_drain", validateErr: "'drain_delay' must not be negative"},
		{name: "auth_both", validateErr: "'metrics_auth' needs exactly one of 'bearer_token' or 'authenticator'"},
		{name: "auth_null", want: withDefaults(func(*Config) {})},
		{name: "auth_empty", validateErr: "'metrics_auth' needs exactly one of 'bearer_token' or 'authenticator'"},
		{name: "misspelt", unmarshalErr: "drain_dealy"},
	} {
		t.Run("healthz/"+tc.name, func(t *testing.T) {
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tc.name).String())
			require.NoError(t, err)
			cfg := NewFactory().CreateDefaultConfig()
			err = sub.Unmarshal(&cfg)
			if tc.unmarshalErr != "" {
				require.ErrorContains(t, err, tc.unmarshalErr)
				return
			}
			require.NoError(t, err)
			err = confmap.Validate(cfg)
			if tc.validateErr != "" {
				require.ErrorContains(t, err, tc.validateErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg)
		})
	}
}
