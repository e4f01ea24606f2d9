package redmetricsprocessor

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/convention"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// Config is shared by the processor and the connector. Keys that only one
// face uses say so.
type Config struct {
	// Enabled switches RED on; when false the processor passes data through
	// untouched (no status_class, no snapshot) and the connector emits
	// nothing. The rest of the configuration is still validated.
	Enabled bool `mapstructure:"enabled"`
	// Conventions are the built-in conventions a request's status,
	// operation and duration are read from (internal/convention), tried in
	// the table's order; all by default.
	Conventions []string `mapstructure:"conventions"`
	// StatusFields are further attributes holding a request's status, tried
	// before the conventions. Numbers in them are HTTP statuses; text may be
	// an RPC status name (any case) or a class name ("503-busy").
	StatusFields []string `mapstructure:"status_fields"`
	// RPCStatusFields are further attributes holding gRPC status codes,
	// tried after StatusFields.
	RPCStatusFields []string `mapstructure:"rpc_status_fields"`
	// StatusClassAttribute is the attribute that carries the class: an
	// existing value is taken as it is, and the processor stamps it.
	StatusClassAttribute string `mapstructure:"status_class_attribute"`
	// BusyStatusCodes are HTTP statuses classed 503-busy.
	BusyStatusCodes []int `mapstructure:"busy_status_codes"`
	// DisconnectStatusCodes are HTTP statuses classed client-disconnect.
	DisconnectStatusCodes []int `mapstructure:"disconnect_status_codes"`
	// RPCStatusClasses overrides the class of RPC status names.
	RPCStatusClasses map[string]string `mapstructure:"rpc_status_classes"`
	// Match restricts which log records count as requests: all conditions
	// must hold.
	Match []MatchConfig `mapstructure:"match"`
	// DurationFields are tried in order for a log record's duration, before
	// the conventions' duration attributes.
	DurationFields []DurationFieldConfig `mapstructure:"duration_fields"`
	// RequestIDFields name the request id shown in the recent samples.
	RequestIDFields []string `mapstructure:"request_id_fields"`
	// Dimensions are the metric attributes; status_class is always added.
	Dimensions []DimensionConfig `mapstructure:"dimensions"`
	// SumFields add a counter per dimension set for numeric fields.
	SumFields []SumFieldConfig `mapstructure:"sum_fields"`
	// SpanKinds are the span kinds that count as requests.
	SpanKinds []string `mapstructure:"span_kinds"`
	// Histogram configures red.duration.
	Histogram HistogramConfig `mapstructure:"histogram"`
	// Exemplars configures exemplars on red.duration (connector).
	Exemplars ExemplarsConfig `mapstructure:"exemplars"`
	// AggregationTemporality is cumulative or delta (connector).
	AggregationTemporality string `mapstructure:"aggregation_temporality"`
	// MetricsFlushInterval is how often the connector emits metrics and both
	// faces drop expired series.
	MetricsFlushInterval time.Duration `mapstructure:"metrics_flush_interval"`
	// MaxSeries bounds the live series; more fold into an overflow series.
	MaxSeries int `mapstructure:"max_series"`
	// SeriesTTL drops series not updated for this long.
	SeriesTTL time.Duration `mapstructure:"series_ttl"`
	// RecentSamples is how many latest samples the snapshot keeps per
	// service and operation (processor).
	RecentSamples int `mapstructure:"recent_samples"`
	// Usage counts model calls, tokens and cost per model.
	Usage UsageConfig `mapstructure:"usage"`
	// RollingWindow is the stretch of the latest request time over which
	// the snapshot's rates and quantiles are computed, beside since-start
	// (processor).
	RollingWindow time.Duration `mapstructure:"rolling_window"`

	_ struct{}
}

// UsageConfig configures usage and cost per model.
type UsageConfig struct {
	// Enabled counts usage (red.usage.tokens, red.usage.cost, the snapshot's
	// usage block).
	Enabled bool `mapstructure:"enabled"`
	// Prices are USD per million tokens by model name, for calls whose
	// record carries no cost; a model not listed is counted in tokens only.
	Prices map[string]PriceConfig `mapstructure:"prices"`
	// MaxSeries bounds the (service, model, provider) series.
	MaxSeries int `mapstructure:"max_series"`

	_ struct{}
}

// PriceConfig is a model's price in USD per million tokens.
type PriceConfig struct {
	Input  float64 `mapstructure:"input"`
	Output float64 `mapstructure:"output"`

	_ struct{}
}

// MatchConfig is one condition on a log record attribute.
type MatchConfig struct {
	// Field is the attribute path (dots descend into map attributes).
	Field string `mapstructure:"field"`
	// Values: the attribute's string form must equal one of them.
	Values []string `mapstructure:"values"`

	_ struct{}
}

// DurationFieldConfig is an attribute holding a duration.
type DurationFieldConfig struct {
	Field string `mapstructure:"field"`
	// Unit is one of ns, us, ms, s.
	Unit string `mapstructure:"unit"`

	_ struct{}
}

// DimensionConfig is one metric attribute.
type DimensionConfig struct {
	// Name is the attribute name on the metrics.
	Name string `mapstructure:"name"`
	// From are the source attributes, first present wins. Empty for the
	// built-in rules of "service" and "operation".
	From []string `mapstructure:"from"`
	// Default is used when no source is present; empty leaves the attribute off.
	Default string `mapstructure:"default"`

	_ struct{}
}

// SumFieldConfig sums a numeric attribute per dimension set.
type SumFieldConfig struct {
	// Field is the attribute path, such as extra.input_tokens.
	Field string `mapstructure:"field"`
	// Name is the metric name; default "red." + the last path segment.
	Name string `mapstructure:"name"`
	// Unit is the metric unit (UCUM), default "1".
	Unit string `mapstructure:"unit"`

	_ struct{}
}

// HistogramConfig configures red.duration.
type HistogramConfig struct {
	// Buckets are explicit upper bounds.
	Buckets []time.Duration `mapstructure:"buckets"`
	// Exponential, when max_size > 0, makes the connector emit a base-2
	// exponential histogram instead of explicit buckets.
	Exponential ExponentialConfig `mapstructure:"exponential"`

	_ struct{}
}

// ExponentialConfig configures an exponential histogram.
type ExponentialConfig struct {
	MaxSize int `mapstructure:"max_size"`

	_ struct{}
}

// ExemplarsConfig configures exemplars.
type ExemplarsConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// MaxPerDataPoint bounds the exemplars per data point and flush.
	MaxPerDataPoint int `mapstructure:"max_per_data_point"`

	_ struct{}
}

const (
	temporalityCumulative = "cumulative"
	temporalityDelta      = "delta"
	operationDimension    = "operation"
	serviceDimension      = "service"
	statusClassDimension  = "status_class"
	// maxRollingWindow keeps the window's ten slots meaningful.
	maxRollingWindow = 24 * time.Hour
)

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)

	spanKindNames = []string{"server", "client", "internal", "producer", "consumer"}
	// durationUnits are divisors to seconds: dividing keeps 950 ms at 0.95 s.
	durationUnits = func() map[string]float64 {
		m := map[string]float64{}
		for _, u := range []convention.Unit{convention.Nanoseconds, convention.Microseconds, convention.Milliseconds, convention.Seconds} {
			m[string(u)] = u.Divisor()
		}
		return m
	}()
)

func createDefaultConfig() component.Config {
	return &Config{
		Enabled:               true,
		Conventions:           convention.Names(),
		StatusClassAttribute:  "status_class",
		BusyStatusCodes:       []int{503},
		DisconnectStatusCodes: []int{499},
		RequestIDFields:       []string{"request_id", "http.request.header.x-request-id"},
		Dimensions: []DimensionConfig{
			{Name: serviceDimension},
			{Name: operationDimension},
		},
		SpanKinds:              []string{"server"},
		Histogram:              HistogramConfig{Buckets: defaultBuckets()},
		Exemplars:              ExemplarsConfig{Enabled: true, MaxPerDataPoint: 5},
		AggregationTemporality: temporalityCumulative,
		MetricsFlushInterval:   15 * time.Second,
		MaxSeries:              10000,
		SeriesTTL:              5 * time.Minute,
		RecentSamples:          20,
		RollingWindow:          5 * time.Minute,
		Usage:                  UsageConfig{Enabled: true, MaxSeries: 1000},
	}
}

func defaultBuckets() []time.Duration {
	out := make([]time.Duration, len(aggregate.DefaultBounds))
	for i, s := range aggregate.DefaultBounds {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

// Validate checks the configuration; each error names its YAML key.
func (c *Config) Validate() error {
	var errs []error
	errs = append(errs, c.validateRecognition()...)
	errs = append(errs, c.validateDimensions()...)
	errs = append(errs, c.validateSumFields()...)
	errs = append(errs, c.validateOutput()...)
	errs = append(errs, c.Usage.validate()...)
	return errors.Join(errs...)
}

// validateRecognition checks how a record is recognised and classified.
func (c *Config) validateRecognition() []error {
	var errs []error
	if len(c.Conventions)+len(c.StatusFields)+len(c.RPCStatusFields) == 0 && c.StatusClassAttribute == "" {
		errs = append(errs, errors.New("'conventions', 'status_fields', 'rpc_status_fields' and 'status_class_attribute' are all empty: no record can be recognised as a request"))
	}
	errs = append(errs, c.validateConventions()...)
	for i, f := range append(append([]string(nil), c.StatusFields...), c.RPCStatusFields...) {
		if strings.TrimSpace(f) == "" {
			errs = append(errs, fmt.Errorf("'status_fields'/'rpc_status_fields' entry %d is empty", i))
		}
	}
	if _, err := statusclass.New(c.classifierConfig()); err != nil {
		errs = append(errs, fmt.Errorf("'busy_status_codes', 'disconnect_status_codes' or 'rpc_status_classes': %w", err))
	}
	for i, m := range c.Match {
		if m.Field == "" {
			errs = append(errs, fmt.Errorf("'match[%d].field' must not be empty", i))
		}
		if len(m.Values) == 0 {
			errs = append(errs, fmt.Errorf("'match[%d].values' must not be empty", i))
		}
	}
	for i, d := range c.DurationFields {
		if d.Field == "" {
			errs = append(errs, fmt.Errorf("'duration_fields[%d].field' must not be empty", i))
		}
		if _, ok := durationUnits[d.Unit]; !ok {
			errs = append(errs, fmt.Errorf("'duration_fields[%d].unit' %q must be one of ns, us, ms, s", i, d.Unit))
		}
	}
	for i, k := range c.SpanKinds {
		if !contains(spanKindNames, strings.ToLower(k)) {
			errs = append(errs, fmt.Errorf("'span_kinds[%d]' %q must be one of %s", i, k, strings.Join(spanKindNames, ", ")))
		}
	}
	return errs
}

// validateDimensions checks the series dimensions.
func (c *Config) validateDimensions() []error {
	var errs []error
	names := map[string]bool{statusClassDimension: true}
	// Prometheus labels on the healthz endpoint: sanitised names must stay
	// distinct and clear of the labels the collector adds itself.
	labels := map[string]bool{statusClassDimension: true, "field": true, "le": true, "component": true}
	for i, d := range c.Dimensions {
		switch {
		case d.Name == "":
			errs = append(errs, fmt.Errorf("'dimensions[%d].name' must not be empty", i))
		case d.Name == statusClassDimension:
			errs = append(errs, fmt.Errorf("'dimensions[%d].name': %q is always added and cannot be configured", i, d.Name))
		case names[d.Name] || labels[promLabel(d.Name)]:
			errs = append(errs, fmt.Errorf("'dimensions[%d].name' %q is duplicated or clashes with a reserved Prometheus label (status_class, field, le, component)", i, d.Name))
		case len(d.From) == 0 && d.Name != operationDimension && d.Name != serviceDimension:
			errs = append(errs, fmt.Errorf("'dimensions[%d].from' must list source attributes (only %q and %q have built-in rules)", i, serviceDimension, operationDimension))
		}
		names[d.Name] = true
		labels[promLabel(d.Name)] = true
	}
	return errs
}

// validateSumFields checks the extra counters.
func (c *Config) validateSumFields() []error {
	var errs []error
	sumNames := map[string]bool{}
	for i, s := range c.SumFields {
		if s.Field == "" {
			errs = append(errs, fmt.Errorf("'sum_fields[%d].field' must not be empty", i))
			continue
		}
		n := s.metricName()
		if n == metricRequests || n == metricDuration || sumNames[n] {
			errs = append(errs, fmt.Errorf("'sum_fields[%d].name' %q is duplicated or reserved", i, n))
		}
		sumNames[n] = true
	}
	if len(c.SumFields) > 64 {
		errs = append(errs, errors.New("'sum_fields' allows at most 64 entries"))
	}
	return errs
}

// validateOutput checks the histogram, the emitted metrics and the bounds
// on what is kept in memory.
func (c *Config) validateOutput() []error {
	var errs []error
	for i, b := range c.Histogram.Buckets {
		if b <= 0 || (i > 0 && b <= c.Histogram.Buckets[i-1]) {
			errs = append(errs, errors.New("'histogram.buckets' must be positive and strictly ascending"))
			break
		}
	}
	if c.Histogram.Exponential.MaxSize < 0 || (c.Histogram.Exponential.MaxSize > 0 && c.Histogram.Exponential.MaxSize < 4) {
		errs = append(errs, errors.New("'histogram.exponential.max_size' must be 0 (off) or at least 4"))
	}
	if c.Exemplars.MaxPerDataPoint < 0 || c.Exemplars.MaxPerDataPoint > 100 {
		errs = append(errs, errors.New("'exemplars.max_per_data_point' must be between 0 and 100"))
	}
	if c.AggregationTemporality != temporalityCumulative && c.AggregationTemporality != temporalityDelta {
		errs = append(errs, fmt.Errorf("'aggregation_temporality' %q must be cumulative or delta", c.AggregationTemporality))
	}
	if c.MetricsFlushInterval <= 0 {
		errs = append(errs, errors.New("'metrics_flush_interval' must be positive"))
	}
	if c.MaxSeries <= 0 {
		errs = append(errs, errors.New("'max_series' must be positive"))
	}
	if c.SeriesTTL < 0 {
		errs = append(errs, errors.New("'series_ttl' must not be negative (0 keeps series forever)"))
	}
	if c.RecentSamples < 0 || c.RecentSamples > 1000 {
		errs = append(errs, errors.New("'recent_samples' must be between 0 and 1000"))
	}
	if c.RollingWindow < aggregate.MinWindow || c.RollingWindow > maxRollingWindow {
		errs = append(errs, fmt.Errorf("'rolling_window' must be between %v and %v", aggregate.MinWindow, maxRollingWindow))
	}
	return errs
}

func (u *UsageConfig) validate() []error {
	var errs []error
	if u.MaxSeries <= 0 {
		errs = append(errs, errors.New("'usage.max_series' must be positive"))
	}
	models := make([]string, 0, len(u.Prices))
	for m := range u.Prices {
		models = append(models, m)
	}
	sort.Strings(models) // errors in a stable order
	for _, m := range models {
		p := u.Prices[m]
		switch {
		case strings.TrimSpace(m) == "":
			errs = append(errs, errors.New("'usage.prices' has an empty model name"))
		case !validPrice(p.Input) || !validPrice(p.Output):
			errs = append(errs, fmt.Errorf("'usage.prices::%s' must have finite, non-negative 'input' and 'output' (USD per million tokens)", m))
		}
	}
	return errs
}

func validPrice(p float64) bool { return p >= 0 && !math.IsInf(p, 0) }

func (c *Config) validateConventions() []error {
	var errs []error
	seen := map[string]bool{}
	for i, name := range c.Conventions {
		if _, ok := convention.Lookup(name); !ok {
			errs = append(errs, fmt.Errorf("'conventions[%d]' %q is not a convention (known: %s)", i, name, strings.Join(convention.Names(), ", ")))
		} else if seen[name] {
			errs = append(errs, fmt.Errorf("'conventions[%d]' %q is listed twice", i, name))
		}
		seen[name] = true
	}
	return errs
}

func (c *Config) classifierConfig() statusclass.Config {
	busy, disc := c.BusyStatusCodes, c.DisconnectStatusCodes
	// An empty list from YAML means "none", not "default".
	if busy == nil {
		busy = []int{}
	}
	if disc == nil {
		disc = []int{}
	}
	return statusclass.Config{BusyStatusCodes: busy, DisconnectStatusCodes: disc, RPCClasses: c.RPCStatusClasses}
}

func (s SumFieldConfig) metricName() string {
	if s.Name != "" {
		return s.Name
	}
	return "red." + s.Field[strings.LastIndexByte(s.Field, '.')+1:]
}

func (s SumFieldConfig) unit() string {
	if s.Unit != "" {
		return s.Unit
	}
	return "1"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
