package ratelimitprocessor // import "github.com/redline-otel/redline/processor/ratelimitprocessor"

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Unit is what one token pays for.
type Unit string

const (
	// UnitRecords: one token per log record, span or metric data point.
	UnitRecords Unit = "records"
	// UnitRequests: one token per request, from every bucket key it touches.
	UnitRequests Unit = "requests"
	// UnitBytes: one token per byte of a record's estimated encoded size.
	UnitBytes Unit = "bytes"
)

// Validate implements confmap.Validator.
func (u Unit) Validate() error {
	switch u {
	case UnitRecords, UnitRequests, UnitBytes:
		return nil
	}
	return fmt.Errorf("'unit' must be records, requests or bytes, not %q", string(u))
}

// Action is what happens to telemetry over the limit.
type Action string

const (
	// ActionDrop drops the records over the limit and passes the rest.
	ActionDrop Action = "drop"
	// ActionRefuse refuses the whole request with RESOURCE_EXHAUSTED and a
	// retry hint, taking no tokens.
	ActionRefuse Action = "refuse"
)

// Validate implements confmap.Validator.
func (a Action) Validate() error {
	switch a {
	case ActionDrop, ActionRefuse:
		return nil
	}
	return fmt.Errorf("'action' must be drop or refuse, not %q", string(a))
}

// Backend is where the buckets live.
type Backend string

const (
	// BackendLocal keeps the buckets in this process.
	BackendLocal Backend = "local"
	// BackendRedis keeps the buckets in Redis, shared by every replica.
	BackendRedis Backend = "redis"
)

// Validate implements confmap.Validator.
func (b Backend) Validate() error {
	switch b {
	case BackendLocal, BackendRedis:
		return nil
	}
	return fmt.Errorf("'backend' must be local or redis, not %q", string(b))
}

// OnBackendError is the policy while Redis cannot be reached.
type OnBackendError string

const (
	// OnBackendErrorLocal limits with local buckets at rate/expected_replicas.
	OnBackendErrorLocal OnBackendError = "local"
	// OnBackendErrorAllow lets everything through.
	OnBackendErrorAllow OnBackendError = "allow"
	// OnBackendErrorDeny drops or refuses everything.
	OnBackendErrorDeny OnBackendError = "deny"
)

// Validate implements confmap.Validator.
func (o OnBackendError) Validate() error {
	switch o {
	case OnBackendErrorLocal, OnBackendErrorAllow, OnBackendErrorDeny:
		return nil
	}
	return fmt.Errorf("'on_backend_error' must be local, allow or deny, not %q", string(o))
}

// Overflow is what happens to new keys once a limit tracks max_keys keys.
type Overflow string

const (
	// OverflowShare puts new keys into one shared overflow bucket.
	OverflowShare Overflow = "share"
	// OverflowDeny denies records with new keys.
	OverflowDeny Overflow = "deny"
)

// Validate implements confmap.Validator.
func (o Overflow) Validate() error {
	switch o {
	case OverflowShare, OverflowDeny:
		return nil
	}
	return fmt.Errorf("'overflow' must be share or deny, not %q", string(o))
}

// KeyMissing is what a limit does with a record none of whose key
// attributes is set.
type KeyMissing string

const (
	// KeyMissingSkip: the limit does not apply to the record.
	KeyMissingSkip KeyMissing = "skip"
	// KeyMissingShare: such records share one bucket with an empty key.
	KeyMissingShare KeyMissing = "share"
)

// Validate implements confmap.Validator.
func (k KeyMissing) Validate() error {
	switch k {
	case KeyMissingSkip, KeyMissingShare:
		return nil
	}
	return fmt.Errorf("'when_key_missing' must be skip or share, not %q", string(k))
}

// PeerSource is the key alternative that stands for the address of the
// sender of the request (the OTLP client's IP), taken from the request's
// client info when no attribute of the part is set.
const PeerSource = "peer()"

// KeyPart is one component of a limit's key: attribute names tried in order
// (written as a single name or a list of alternatives), and optionally
// PeerSource.
type KeyPart []string

// UnmarshalText lets a part be written as a single name.
func (k *KeyPart) UnmarshalText(text []byte) error {
	*k = KeyPart{string(text)}
	return nil
}

// LimitConfig is one named bucket (one per distinct key value when keyed).
type LimitConfig struct {
	// Name identifies the limit in metrics, errors and Redis keys.
	Name string `mapstructure:"name"`
	// Rate is the refill rate in units per second.
	Rate float64 `mapstructure:"rate"`
	// Burst is the bucket's capacity in units.
	Burst int64 `mapstructure:"burst"`
	// Key lists the parts that split the limit; empty means one global bucket.
	Key []KeyPart `mapstructure:"key"`
	// MaxKeys bounds the distinct keys tracked in memory (local buckets).
	MaxKeys int `mapstructure:"max_keys"`
	// Overflow is what happens to new keys past MaxKeys.
	Overflow Overflow `mapstructure:"overflow"`
	// IdleTimeout forgets a key unused for this long (once its bucket is full).
	IdleTimeout time.Duration `mapstructure:"idle_timeout"`
	// WhenKeyMissing is what happens to records without any key attribute.
	WhenKeyMissing KeyMissing `mapstructure:"when_key_missing"`
	_              struct{}
}

// Unmarshal fills in the per-limit defaults before decoding, since list
// elements get no value from createDefaultConfig.
func (l *LimitConfig) Unmarshal(conf *confmap.Conf) error {
	l.MaxKeys = defaultMaxKeys
	l.Overflow = OverflowShare
	l.IdleTimeout = defaultIdleTimeout
	l.WhenKeyMissing = KeyMissingSkip
	return conf.Unmarshal(l)
}

// ExemptConfig lists conditions under which records bypass every limit. A
// record is exempt when any condition matches.
type ExemptConfig struct {
	// SeverityAtLeast exempts log records at this severity or above (TRACE,
	// DEBUG, INFO, WARN, ERROR, FATAL) and, at ERROR or below, spans whose
	// status is Error.
	SeverityAtLeast string `mapstructure:"severity_at_least"`
	// Attributes exempts records with an attribute equal to a value.
	Attributes []AttributeMatch `mapstructure:"attributes"`
	_          struct{}
}

// AttributeMatch matches a record whose attribute Key (looked up in the
// record, then scope, then resource attributes) equals Value.
type AttributeMatch struct {
	Key   string `mapstructure:"key"`
	Value string `mapstructure:"value"`
	_     struct{}
}

// RedisConfig is the connection to the shared backend.
type RedisConfig struct {
	// Endpoint is host:port of the Redis server.
	Endpoint string `mapstructure:"endpoint"`
	// Username and Password authenticate (Redis 6 ACL or requirepass).
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// DB is the database number.
	DB int `mapstructure:"db"`
	// Timeout bounds dialling and each round trip; past it a batch uses the
	// on_backend_error policy.
	Timeout time.Duration `mapstructure:"timeout"`
	// KeyPrefix starts every Redis key of this processor.
	KeyPrefix string `mapstructure:"key_prefix"`
	// ProbeInterval is how often Redis is tried again while it is down.
	ProbeInterval time.Duration `mapstructure:"probe_interval"`
	// PoolSize is the maximum number of connections.
	PoolSize int `mapstructure:"pool_size"`
	// TLS secures the connection; plaintext unless insecure is false or a
	// CA is given.
	TLS configtls.ClientConfig `mapstructure:"tls"`
	_   struct{}
}

// Config is the ratelimit processor's configuration.
type Config struct {
	// Limits are the buckets; a record passes only if all that apply to it
	// have tokens.
	Limits []LimitConfig `mapstructure:"limits"`
	// Unit is what a token pays for.
	Unit Unit `mapstructure:"unit"`
	// Action is what happens over the limit.
	Action Action `mapstructure:"action"`
	// Exempt lists conditions that bypass the limits.
	Exempt ExemptConfig `mapstructure:"exempt"`
	// Backend is where the buckets live.
	Backend Backend `mapstructure:"backend"`
	// Redis is the shared backend's connection (backend: redis).
	Redis RedisConfig `mapstructure:"redis"`
	// OnBackendError is the policy while Redis fails.
	OnBackendError OnBackendError `mapstructure:"on_backend_error"`
	// ExpectedReplicas divides the rates of the local fallback.
	ExpectedReplicas int `mapstructure:"expected_replicas"`
	_                struct{}
}

const (
	defaultMaxKeys       = 5000
	defaultIdleTimeout   = 5 * time.Minute
	defaultRedisTimeout  = 250 * time.Millisecond
	defaultProbeInterval = time.Second
	defaultKeyPrefix     = "redline:ratelimit:"
	maxLimits            = 1 << 15 // bucket indexes travel as 16 bits
)

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)

	errNoLimits = errors.New("'limits' must not be empty")
)

func createDefaultConfig() component.Config {
	return &Config{
		Unit:           UnitRecords,
		Action:         ActionDrop,
		Backend:        BackendLocal,
		OnBackendError: OnBackendErrorLocal,
		Redis: RedisConfig{
			Timeout:       defaultRedisTimeout,
			KeyPrefix:     defaultKeyPrefix,
			ProbeInterval: defaultProbeInterval,
			PoolSize:      10,
			TLS:           defaultRedisTLS(),
		},
		ExpectedReplicas: 1,
	}
}

// defaultRedisTLS is plaintext: most Redis deployments next to a collector
// run without TLS. Setting insecure: false or a CA file turns TLS on.
func defaultRedisTLS() configtls.ClientConfig {
	c := configtls.NewDefaultClientConfig()
	c.Insecure = true
	return c
}

// Validate implements confmap.Validator. The enums validate themselves
// (confmap recurses into fields), so they are not checked here again.
func (c *Config) Validate() error {
	var errs error
	if len(c.Limits) == 0 {
		errs = errors.Join(errs, errNoLimits)
	}
	if len(c.Limits) > maxLimits {
		errs = errors.Join(errs, fmt.Errorf("'limits' holds %d entries; at most %d are supported", len(c.Limits), maxLimits))
	}
	names := map[string]bool{}
	for i, l := range c.Limits {
		where := fmt.Sprintf("'limits[%d]'", i)
		if l.Name == "" {
			errs = errors.Join(errs, fmt.Errorf("%s: 'name' must not be empty", where))
		} else if names[l.Name] {
			errs = errors.Join(errs, fmt.Errorf("%s: 'name' %q is used twice", where, l.Name))
		}
		names[l.Name] = true
		if !(l.Rate > 0) || math.IsInf(l.Rate, 0) {
			errs = errors.Join(errs, fmt.Errorf("%s: 'rate' must be a positive number of units per second", where))
		}
		if l.Burst < 1 {
			errs = errors.Join(errs, fmt.Errorf("%s: 'burst' must be at least 1", where))
		}
		if l.MaxKeys < 1 {
			errs = errors.Join(errs, fmt.Errorf("%s: 'max_keys' must be at least 1", where))
		}
		if l.IdleTimeout <= 0 {
			errs = errors.Join(errs, fmt.Errorf("%s: 'idle_timeout' must be positive", where))
		}
		for j, part := range l.Key {
			if len(part) == 0 {
				errs = errors.Join(errs, fmt.Errorf("%s: 'key[%d]' must name at least one attribute or %s", where, j, PeerSource))
			}
			for _, name := range part {
				if strings.TrimSpace(name) == "" {
					errs = errors.Join(errs, fmt.Errorf("%s: 'key[%d]' holds an empty attribute name", where, j))
				} else if strings.HasSuffix(name, "()") && name != PeerSource {
					errs = errors.Join(errs, fmt.Errorf("%s: 'key[%d]': unknown source %q (only %s)", where, j, name, PeerSource))
				}
			}
		}
	}
	if s := c.Exempt.SeverityAtLeast; s != "" {
		if _, ok := severityByName(s); !ok {
			errs = errors.Join(errs, fmt.Errorf("'exempt.severity_at_least' must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, not %q", s))
		}
	}
	for i, m := range c.Exempt.Attributes {
		if m.Key == "" {
			errs = errors.Join(errs, fmt.Errorf("'exempt.attributes[%d].key' must not be empty", i))
		}
	}
	if c.ExpectedReplicas < 1 {
		errs = errors.Join(errs, errors.New("'expected_replicas' must be at least 1"))
	}
	if c.Backend == BackendRedis {
		if _, _, err := net.SplitHostPort(c.Redis.Endpoint); err != nil {
			errs = errors.Join(errs, fmt.Errorf("'redis.endpoint' must be host:port: %w", err))
		}
		if c.Redis.Timeout <= 0 {
			errs = errors.Join(errs, errors.New("'redis.timeout' must be positive"))
		}
		if c.Redis.ProbeInterval <= 0 {
			errs = errors.Join(errs, errors.New("'redis.probe_interval' must be positive"))
		}
		if c.Redis.DB < 0 {
			errs = errors.Join(errs, errors.New("'redis.db' must not be negative"))
		}
		if c.Redis.PoolSize < 1 {
			errs = errors.Join(errs, errors.New("'redis.pool_size' must be at least 1"))
		}
	}
	return errs
}

// severityByName maps a severity name to the lowest SeverityNumber of its
// range.
func severityByName(name string) (plog.SeverityNumber, bool) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "TRACE":
		return plog.SeverityNumberTrace, true
	case "DEBUG":
		return plog.SeverityNumberDebug, true
	case "INFO", "INFORMATION":
		return plog.SeverityNumberInfo, true
	case "WARN", "WARNING":
		return plog.SeverityNumberWarn, true
	case "ERROR", "ERR":
		return plog.SeverityNumberError, true
	case "FATAL", "CRITICAL", "CRIT", "EMERGENCY", "ALERT", "PANIC":
		return plog.SeverityNumberFatal, true
	}
	return plog.SeverityNumberUnspecified, false
}
