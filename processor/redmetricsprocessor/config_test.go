package redmetricsprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig()
	require.NoError(t, confmap.New().Unmarshal(cfg))
	assert.Equal(t, createDefaultConfig(), cfg)
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, NewConnectorFactory().CreateDefaultConfig(), cfg)
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	full := createDefaultConfig().(*Config)
	full.Conventions = []string{"otel_http", "otel_grpc", "generic"}
	full.StatusFields = []string{"http_status"}
	full.RPCStatusFields = []string{"rpc.grpc.status_code"}
	full.BusyStatusCodes = []int{429, 503}
	full.DisconnectStatusCodes = []int{499}
	full.RPCStatusClasses = map[string]string{"UNAVAILABLE": "503-busy"}
	full.Match = []MatchConfig{{Field: "event", Values: []string{"http_request"}}}
	full.DurationFields = []DurationFieldConfig{{Field: "latency_ms", Unit: "ms"}}
	full.Dimensions = []DimensionConfig{
		{Name: "service", From: []string{"rpc.service", "service", "category"}},
		{Name: "operation"},
		{Name: "model", From: []string{"model"}, Default: "none"},
	}
	full.SumFields = []SumFieldConfig{
		{Field: "extra.input_tokens", Name: "red.input_tokens", Unit: "{token}"},
		{Field: "extra.cost_usd", Unit: "[USD]"},
	}
	full.SpanKinds = []string{"server", "consumer"}
	full.Histogram = HistogramConfig{Buckets: []time.Duration{10 * time.Millisecond, 100 * time.Millisecond, time.Second}}
	full.Exemplars = ExemplarsConfig{Enabled: false, MaxPerDataPoint: 5}
	full.AggregationTemporality = "delta"
	full.MetricsFlushInterval = 30 * time.Second
	full.MaxSeries = 500
	full.SeriesTTL = 10 * time.Minute
	full.RecentSamples = 50
	full.RollingWindow = 10 * time.Minute

	disabled := createDefaultConfig().(*Config)
	disabled.Enabled = false

	expo := createDefaultConfig().(*Config)
	expo.Histogram.Exponential.MaxSize = 160

	for _, tc := range []struct {
		name         string
		want         *Config
		unmarshalErr string
		validateErr  string
	}{
		{name: "", want: createDefaultConfig().(*Config)},
		{name: "full", want: full},
		{name: "exponential", want: expo},
		{name: "typo", unmarshalErr: "max_seriess"},
		{name: "bad_temporality", validateErr: "'aggregation_temporality'"},
		{name: "bad_unit", validateErr: "'duration_fields[0].unit'"},
		{name: "bad_busy", validateErr: "'busy_status_codes'"},
		{name: "bad_rpc_class", validateErr: "'rpc_status_classes'"},
		{name: "bad_dimension", validateErr: "'dimensions[0].from'"},
		{name: "status_class_dimension", validateErr: "'dimensions[0].name'"},
		{name: "bad_span_kind", validateErr: "'span_kinds[0]'"},
		{name: "bad_buckets", validateErr: "'histogram.buckets'"},
		{name: "bad_limits", validateErr: "'max_series'"},
		{name: "bad_match", validateErr: "'match[0].values'"},
		{name: "no_status", validateErr: "'status_fields'"},
		{name: "bad_sum", validateErr: "'sum_fields[1].name'"},
		{name: "bad_interval", validateErr: "'metrics_flush_interval'"},
		{name: "label_clash", validateErr: "'dimensions[1].name'"},
		{name: "disabled", want: disabled},
		{name: "disabled_still_validated", validateErr: "'max_series'"},
		{name: "bad_window", validateErr: "'rolling_window' must be between 10s and 24h0m0s"},
		{name: "bad_convention", validateErr: "'conventions[2]' \"ngnix\" is not a convention"},
		{name: "duplicate_convention", validateErr: "'conventions[1]' \"nginx\" is listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tc.name).String())
			require.NoError(t, err)
			cfg := createDefaultConfig()
			err = sub.Unmarshal(cfg)
			if tc.unmarshalErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.unmarshalErr)
				return
			}
			require.NoError(t, err)
			err = confmap.Validate(cfg)
			if tc.validateErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.validateErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg)
		})
	}
}
