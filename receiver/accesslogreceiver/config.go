package accesslogreceiver // import "github.com/redline-otel/redline/receiver/accesslogreceiver"

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/parser"
)

// StartAt says where to start in files found at the first poll.
type StartAt string

// StartAt values.
const (
	StartAtEnd       StartAt = "end"
	StartAtBeginning StartAt = "beginning"
)

// OnParseError says what to do with a line that is not a JSON object.
type OnParseError string

// OnParseError values.
const (
	// OnParseErrorSend sends the raw line as the body with an error attribute.
	OnParseErrorSend OnParseError = "send"
	// OnParseErrorDrop drops the line (it is counted).
	OnParseErrorDrop OnParseError = "drop"
)

// Format is the syntax of the lines.
type Format string

// Format values.
const (
	// FormatAuto reads JSON objects as FormatJSON does and every other line
	// as FormatText does.
	FormatAuto Format = "auto"
	// FormatJSON reads JSON objects only; any other line is a parse error.
	FormatJSON Format = "json"
	// FormatText reads the plain-text shapes only.
	FormatText Format = "text"
)

// parserFormat is f for the parser package.
func (f Format) parserFormat() parser.Format {
	switch f {
	case FormatJSON:
		return parser.FormatJSON
	case FormatText:
		return parser.FormatText
	default:
		return parser.FormatAuto
	}
}

// Encoding is the files' character encoding.
type Encoding string

// Encoding values.
const (
	EncodingUTF8   Encoding = "utf-8"
	EncodingLatin1 Encoding = "latin1"
)

// Config is the accesslog receiver's configuration.
type Config struct {
	// Include lists the globs of the files to read (filepath.Match syntax). Required.
	Include []string `mapstructure:"include"`
	// Exclude lists globs matched against the full path, or the base name when
	// the glob has no path separator.
	Exclude []string `mapstructure:"exclude"`
	// StartAt applies only to files present at the first poll of a receiver
	// that has no checkpoints; files that appear later are read from their start.
	StartAt StartAt `mapstructure:"start_at"`
	// PollInterval is how often the globs are evaluated and files read.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// FingerprintSize is how many leading bytes identify a file, in bytes.
	FingerprintSize int `mapstructure:"fingerprint_size"`
	// MaxLineSize is the longest line kept whole, in bytes; longer lines are cut and marked.
	MaxLineSize int `mapstructure:"max_line_size"`
	// MaxConcurrentFiles bounds the files open at once; more matching files are read in turns.
	MaxConcurrentFiles int `mapstructure:"max_concurrent_files"`
	// MaxBatchSize is the most lines in one delivery to the next consumer.
	MaxBatchSize int `mapstructure:"max_batch_size"`
	// ForceFlushPeriod: an unterminated last line is emitted after this long
	// without the file growing. 0 waits for the newline forever.
	ForceFlushPeriod time.Duration `mapstructure:"force_flush_period"`
	// Storage is the ID of a storage extension (such as file_storage) that
	// keeps the read offsets across restarts.
	Storage *component.ID `mapstructure:"storage"`
	// Format is `auto` (JSON objects, and plain-text lines of known shapes),
	// `json` or `text`.
	Format Format `mapstructure:"format"`
	// OnParseError is `send` or `drop`.
	OnParseError OnParseError `mapstructure:"on_parse_error"`
	// IncludeFileName adds log.file.name.
	IncludeFileName bool `mapstructure:"include_file_name"`
	// IncludeFilePath adds log.file.path.
	IncludeFilePath bool `mapstructure:"include_file_path"`
	// IncludeFileOffset adds log.file.record_offset, the line's byte offset.
	IncludeFileOffset bool `mapstructure:"include_file_offset"`
	// Resource holds static resource attributes, such as service.name.
	Resource map[string]any `mapstructure:"resource"`
	// Encoding is `utf-8` (invalid bytes replaced by U+FFFD) or `latin1`.
	Encoding Encoding `mapstructure:"encoding"`
	// MaxNestingDepth is the deepest JSON nesting kept as maps and slices;
	// deeper values are kept as JSON text.
	MaxNestingDepth int `mapstructure:"max_nesting_depth"`
	// RetryMaxInterval caps the backoff between attempts when the next consumer fails.
	RetryMaxInterval time.Duration `mapstructure:"retry_max_interval"`

	_ struct{}
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

const minFingerprintSize = 16

// Validate checks the configuration, naming the YAML key of each problem.
func (c *Config) Validate() error {
	var errs error
	if len(c.Include) == 0 {
		errs = errors.Join(errs, errors.New("'include' must list at least one glob"))
	}
	for _, g := range c.Include {
		if strings.TrimSpace(g) == "" {
			errs = errors.Join(errs, errors.New("'include' must not contain an empty glob"))
		} else if _, err := filepath.Match(g, ""); err != nil {
			errs = errors.Join(errs, fmt.Errorf("'include' glob %q: %w", g, err))
		}
	}
	for _, g := range c.Exclude {
		if _, err := filepath.Match(g, ""); err != nil {
			errs = errors.Join(errs, fmt.Errorf("'exclude' glob %q: %w", g, err))
		}
	}
	switch c.StartAt {
	case StartAtEnd, StartAtBeginning:
	default:
		errs = errors.Join(errs, fmt.Errorf("'start_at' must be %q or %q, got %q", StartAtEnd, StartAtBeginning, c.StartAt))
	}
	if c.PollInterval <= 0 {
		errs = errors.Join(errs, fmt.Errorf("'poll_interval' must be positive, got %v", c.PollInterval))
	}
	if c.FingerprintSize < minFingerprintSize {
		errs = errors.Join(errs, fmt.Errorf("'fingerprint_size' must be at least %d bytes, got %d", minFingerprintSize, c.FingerprintSize))
	}
	if c.MaxLineSize <= 0 {
		errs = errors.Join(errs, fmt.Errorf("'max_line_size' must be positive, got %d", c.MaxLineSize))
	}
	if c.MaxConcurrentFiles <= 0 {
		errs = errors.Join(errs, fmt.Errorf("'max_concurrent_files' must be positive, got %d", c.MaxConcurrentFiles))
	}
	if c.MaxBatchSize <= 0 {
		errs = errors.Join(errs, fmt.Errorf("'max_batch_size' must be positive, got %d", c.MaxBatchSize))
	}
	if c.ForceFlushPeriod < 0 {
		errs = errors.Join(errs, fmt.Errorf("'force_flush_period' must not be negative, got %v", c.ForceFlushPeriod))
	}
	switch c.Format {
	case FormatAuto, FormatJSON, FormatText:
	default:
		errs = errors.Join(errs, fmt.Errorf("'format' must be %q, %q or %q, got %q", FormatAuto, FormatJSON, FormatText, c.Format))
	}
	switch c.OnParseError {
	case OnParseErrorSend, OnParseErrorDrop:
	default:
		errs = errors.Join(errs, fmt.Errorf("'on_parse_error' must be %q or %q, got %q", OnParseErrorSend, OnParseErrorDrop, c.OnParseError))
	}
	switch c.Encoding {
	case EncodingUTF8, EncodingLatin1:
	default:
		errs = errors.Join(errs, fmt.Errorf("'encoding' must be %q or %q, got %q", EncodingUTF8, EncodingLatin1, c.Encoding))
	}
	if c.MaxNestingDepth <= 0 {
		errs = errors.Join(errs, fmt.Errorf("'max_nesting_depth' must be positive, got %d", c.MaxNestingDepth))
	}
	if c.RetryMaxInterval <= 0 {
		errs = errors.Join(errs, fmt.Errorf("'retry_max_interval' must be positive, got %v", c.RetryMaxInterval))
	}
	return errs
}

func createDefaultConfig() component.Config {
	return &Config{
		StartAt:            StartAtEnd,
		PollInterval:       200 * time.Millisecond,
		FingerprintSize:    1 << 10,
		MaxLineSize:        1 << 20,
		MaxConcurrentFiles: 1024,
		MaxBatchSize:       1000,
		ForceFlushPeriod:   500 * time.Millisecond,
		Format:             FormatAuto,
		OnParseError:       OnParseErrorSend,
		IncludeFileName:    true,
		Encoding:           EncodingUTF8,
		MaxNestingDepth:    16,
		RetryMaxInterval:   5 * time.Second,
	}
}
