package payloadcapture // import "github.com/redline-otel/redline/exporter/payloadcapture"

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// BodyEncoding says how string body attributes are turned into bytes.
type BodyEncoding string

const (
	// BodyEncodingRaw writes strings as their UTF-8 bytes.
	BodyEncodingRaw BodyEncoding = "raw"
	// BodyEncodingBase64 decodes strings as base64 (standard alphabet,
	// padded or not); a string that is not base64 is written as it is and
	// the capture's meta.json says so.
	BodyEncodingBase64 BodyEncoding = "base64"
)

// Validate names the allowed values.
func (e BodyEncoding) Validate() error {
	switch e {
	case BodyEncodingRaw, BodyEncodingBase64:
		return nil
	default:
		return fmt.Errorf("'body_encoding' must be %q or %q, got %q", BodyEncodingRaw, BodyEncodingBase64, string(e))
	}
}

// AttributesConfig names the log record attributes a capture is made of.
// Lists are tried in order; the first attribute present wins.
type AttributesConfig struct {
	// RequestBody and ResponseBody hold the payloads (bytes or string). A
	// record with neither is not a capture and is ignored.
	RequestBody  string `mapstructure:"request_body"`
	ResponseBody string `mapstructure:"response_body"`
	// RequestHeaders and ResponseHeaders are map attributes (header name →
	// string or list of strings). Attributes named <key>.<header-name>, the
	// OpenTelemetry semantic-convention shape, are read as headers too.
	RequestHeaders  string `mapstructure:"request_headers"`
	ResponseHeaders string `mapstructure:"response_headers"`
	// RequestID names the capture folder. A key under the request header
	// prefix (http.request.header.x-request-id) is also looked up, in any
	// case, inside the request header map.
	RequestID []string `mapstructure:"request_id"`
	// Service is read from the resource first, then from the record.
	Service  []string `mapstructure:"service"`
	Method   []string `mapstructure:"method"`
	Path     []string `mapstructure:"path"`
	Category []string `mapstructure:"category"`
	Status   []string `mapstructure:"status"`
	// DurationMS holds durations in milliseconds, DurationS in seconds;
	// meta.json always shows duration_ms.
	DurationMS []string `mapstructure:"duration_ms"`
	DurationS  []string `mapstructure:"duration_s"`

	_ struct{}
}

// Config is the payloadcapture exporter's configuration.
type Config struct {
	// Enabled switches capture on. Off by default: payloads can hold
	// personal data. When off, records are accepted and dropped and nothing
	// is written; captures already in Directory are still swept.
	Enabled bool `mapstructure:"enabled"`
	// Directory receives <YYYY-MM-DD>/<request-id>/ folders.
	Directory string `mapstructure:"directory"`
	// CreateDirectory creates Directory (mode 0700) when missing. Turn it off
	// when Directory is a mount point, so an unmounted disk shows up as a
	// failure instead of filling the parent file system.
	CreateDirectory bool `mapstructure:"create_directory"`
	// Fsync flushes every capture to stable storage before it counts.
	Fsync bool `mapstructure:"fsync"`
	// MaxAgeDays removes captures written longer ago than this many days.
	MaxAgeDays int `mapstructure:"max_age_days"`
	// MaxSizeGB then removes the oldest captures while they hold more than
	// this many GiB (2^30 bytes). Fractions are allowed.
	MaxSizeGB float64 `mapstructure:"max_size_gb"`
	// SweepInterval is the time between sweeps; one also runs at start.
	SweepInterval time.Duration `mapstructure:"sweep_interval"`
	// Attributes map record attributes to the capture.
	Attributes AttributesConfig `mapstructure:"attributes"`
	// BodyEncoding applies to string body attributes; bytes are written as
	// they are.
	BodyEncoding BodyEncoding `mapstructure:"body_encoding"`
	// ScrubHeaders adds header names to the ones always scrubbed
	// (Authorization, Cookie, Set-Cookie, X-Api-Key, Proxy-Authorization).
	ScrubHeaders []string `mapstructure:"scrub_headers"`

	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig   configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	_ struct{}
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)

	errNoDirectory     = errors.New("'directory' must not be empty")
	errMaxAgeDays      = errors.New("'max_age_days' must be at least 1")
	errMaxSizeGB       = errors.New("'max_size_gb' must be a positive number")
	errSweepInterval   = errors.New("'sweep_interval' must be positive")
	errNoBodyAttribute = errors.New("'attributes::request_body' and 'attributes::response_body' must not both be empty")
)

// maxAgeDaysLimit keeps MaxAgeDays*24h inside time.Duration.
const maxAgeDaysLimit = 100_000

// Validate checks the settings this package owns; confmap validates the
// nested helper configs itself.
func (c *Config) Validate() error {
	var errs error
	if c.Directory == "" {
		errs = errors.Join(errs, errNoDirectory)
	}
	if c.MaxAgeDays < 1 {
		errs = errors.Join(errs, errMaxAgeDays)
	} else if c.MaxAgeDays > maxAgeDaysLimit {
		errs = errors.Join(errs, fmt.Errorf("'max_age_days' must be at most %d", maxAgeDaysLimit))
	}
	if !(c.MaxSizeGB > 0) || math.IsInf(c.MaxSizeGB, 0) || c.MaxSizeGB > 1<<20 {
		errs = errors.Join(errs, errMaxSizeGB)
	}
	if c.SweepInterval <= 0 {
		errs = errors.Join(errs, errSweepInterval)
	}
	if err := c.BodyEncoding.Validate(); err != nil {
		errs = errors.Join(errs, err)
	}
	a := c.Attributes
	if a.RequestBody == "" && a.ResponseBody == "" {
		errs = errors.Join(errs, errNoBodyAttribute)
	}
	for key, list := range map[string][]string{
		"request_id": a.RequestID, "service": a.Service, "method": a.Method, "path": a.Path,
		"category": a.Category, "status": a.Status, "duration_ms": a.DurationMS, "duration_s": a.DurationS,
	} {
		for _, k := range list {
			if k == "" {
				errs = errors.Join(errs, fmt.Errorf("'attributes::%s' must not contain an empty key", key))
				break
			}
		}
	}
	for _, h := range c.ScrubHeaders {
		if h == "" {
			errs = errors.Join(errs, errors.New("'scrub_headers' must not contain an empty name"))
			break
		}
	}
	return errs
}

// maxAge is the age cut as a duration.
func (c *Config) maxAge() time.Duration { return time.Duration(c.MaxAgeDays) * 24 * time.Hour }

// maxSizeBytes is the size cut in bytes.
func (c *Config) maxSizeBytes() int64 { return int64(c.MaxSizeGB * (1 << 30)) }
