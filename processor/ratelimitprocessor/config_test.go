package ratelimitprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/metadata"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig()
	require.NoError(t, confmap.New().Unmarshal(cfg))
	assert.Equal(t, createDefaultConfig(), cfg)
	// Without limits there is nothing to enforce: refuse to start.
	assert.ErrorContains(t, confmap.Validate(cfg), "'limits' must not be empty")
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	withDefaults := func(l LimitConfig) LimitConfig {
		if l.MaxKeys == 0 {
			l.MaxKeys = defaultMaxKeys
		}
		if l.Overflow == "" {
			l.Overflow = OverflowShare
		}
		if l.IdleTimeout == 0 {
			l.IdleTimeout = defaultIdleTimeout
		}
		if l.WhenKeyMissing == "" {
			l.WhenKeyMissing = KeyMissingSkip
		}
		return l
	}

	for _, tc := range []struct {
		name         string
		want         func() *Config
		unmarshalErr string
		validateErrs []string
	}{
		{
			name: "minimal",
			want: func() *Config {
				c := createDefaultConfig().(*Config)
				c.Limits = []LimitConfig{withDefaults(LimitConfig{Name: "global", Rate: 1000, Burst: 2000})}
				return c
			},
		},
		{
			name: "full",
			want: func() *Config {
				c := createDefaultConfig().(*Config)
				c.Action = ActionRefuse
				c.Limits = []LimitConfig{
					withDefaults(LimitConfig{Name: "global", Rate: 100000, Burst: 200000}),
					withDefaults(LimitConfig{Name: "per_service", Rate: 5000, Burst: 10000, Key: []KeyPart{{"service.name"}}, WhenKeyMissing: KeyMissingShare}),
					withDefaults(LimitConfig{Name: "per_method", Rate: 1000, Burst: 2000, Key: []KeyPart{{"rpc.service", "service"}, {"rpc.method", "method"}}}),
					withDefaults(LimitConfig{
						Name: "per_peer", Rate: 500, Burst: 1000, Key: []KeyPart{{"client.address", PeerSource}},
						MaxKeys: 10000, Overflow: OverflowDeny, IdleTimeout: 10 * time.Minute,
					}),
				}
				c.Exempt = ExemptConfig{SeverityAtLeast: "ERROR", Attributes: []AttributeMatch{{Key: "redline.priority", Value: "high"}}}
				c.Backend = BackendRedis
				c.Redis = RedisConfig{
					Endpoint: "redis.example:6379", Username: "redline", Password: "secret", DB: 2,
					Timeout: 100 * time.Millisecond, KeyPrefix: "{rl}:", ProbeInterval: 2 * time.Second, PoolSize: 20,
					TLS: c.Redis.TLS,
				}
				c.Redis.TLS.Insecure = false
				c.Redis.TLS.ServerName = "redis.example"
				c.ExpectedReplicas = 3
				return c
			},
		},
		{name: "typo", unmarshalErr: "brust"},
		{name: "empty", validateErrs: []string{"'limits' must not be empty"}},
		{
			name: "bad_values",
			validateErrs: []string{
				"'unit' must be records, requests or bytes",
				"'action' must be drop or refuse",
				"'backend' must be local or redis",
				"'on_backend_error' must be local, allow or deny",
				"'overflow' must be share or deny",
				"'when_key_missing' must be skip or share",
				"'limits[0]': 'rate' must be a positive",
				"'limits[0]': 'burst' must be at least 1",
				"'limits[0]': 'max_keys' must be at least 1",
				"'limits[0]': 'idle_timeout' must be positive",
				"'limits[0]': 'key[0]' must name at least one attribute",
				"'limits[0]': 'key[1]': unknown source \"now()\"",
				"'limits[1]': 'name' \"a\" is used twice",
				"'exempt.severity_at_least' must be one of",
				"'exempt.attributes[0].key' must not be empty",
				"'expected_replicas' must be at least 1",
			},
		},
		{name: "redis_without_endpoint", validateErrs: []string{"'redis.endpoint' must be host:port"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tc.name).String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if tc.unmarshalErr != "" {
				assert.ErrorContains(t, err, tc.unmarshalErr)
				return
			}
			require.NoError(t, err)
			err = confmap.Validate(cfg)
			if len(tc.validateErrs) == 0 {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				for _, want := range tc.validateErrs {
					assert.ErrorContains(t, err, want)
				}
			}
			if tc.want != nil {
				assert.Equal(t, tc.want(), cfg)
			}
		})
	}
}
