package maskprocessor // import "github.com/redline-otel/redline/processor/maskprocessor"

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/redline-otel/redline/internal/keymatch"
	"github.com/redline-otel/redline/processor/maskprocessor/internal/masker"
)

// Config is the mask processor's configuration.
type Config struct {
	// Enabled switches masking on; when false data passes untouched.
	Enabled bool `mapstructure:"enabled"`
	// DefaultKeys adds the default vocabulary of secret and identifier
	// names (see the README) to secrets.keys and identifiers.keys; false
	// starts from those lists alone.
	DefaultKeys bool `mapstructure:"default_keys"`
	// KeepKeys are names whose values are never masked by name, whatever
	// rule or vocabulary word they match (strings in them are still
	// scanned as free text).
	KeepKeys []string `mapstructure:"keep_keys"`
	// Secrets: values of these keys become "***" whatever their type.
	Secrets SecretsConfig `mapstructure:"secrets"`
	// Identifiers: values of these keys are truncated to abc1234...5678.
	Identifiers IdentifiersConfig `mapstructure:"identifiers"`
	// Headers: sensitive headers in header maps become "***".
	Headers HeadersConfig `mapstructure:"headers"`
	// Query: secrets named in text (name=value, "name": "value") are masked.
	Query QueryConfig `mapstructure:"query"`
	// PII: detectors run on free text.
	PII PIIConfig `mapstructure:"pii"`
	// Custom regular expressions, masked after the built-in rules.
	Custom []CustomConfig `mapstructure:"custom"`
	// Hash configures the hash action.
	Hash HashConfig `mapstructure:"hash"`
	// Annotate adds pii.detected and pii.types to log records and spans in
	// which PII was found.
	Annotate bool `mapstructure:"annotate"`
	// AnnotateStyle spells the annotation attributes: dotted (pii.detected,
	// pii.types, OpenTelemetry's style) or underscore (pii_detected,
	// pii_types, as Astrocyte's policy events write them).
	AnnotateStyle AnnotateStyle `mapstructure:"annotate_style"`

	_ struct{}
}

// SecretsConfig is the secret-key rule.
type SecretsConfig struct {
	Enabled bool     `mapstructure:"enabled"`
	Keys    []string `mapstructure:"keys"`
	Action  Action   `mapstructure:"action"`
	_       struct{}
}

// IdentifiersConfig is the identifier truncation rule.
type IdentifiersConfig struct {
	Enabled    bool     `mapstructure:"enabled"`
	Keys       []string `mapstructure:"keys"`
	KeepPrefix int      `mapstructure:"keep_prefix"`
	KeepSuffix int      `mapstructure:"keep_suffix"`
	MinLength  int      `mapstructure:"min_length"`
	_          struct{}
}

// HeadersConfig is the header-map rule.
type HeadersConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// Maps name attributes holding a map of headers.
	Maps []string `mapstructure:"maps"`
	// KeyPrefixes name flattened header attributes (prefix + header name).
	KeyPrefixes []string `mapstructure:"key_prefixes"`
	// Names are the sensitive headers.
	Names []string `mapstructure:"names"`
	// NamesAnywhere treats Names as secret keys everywhere: attributes and
	// map entries at any depth outside header maps, and "Name: value" or
	// name=value in free text.
	NamesAnywhere bool   `mapstructure:"names_anywhere"`
	Action        Action `mapstructure:"action"`
	_             struct{}
}

// QueryConfig is the in-text secret rule (URL queries, logfmt, embedded JSON).
type QueryConfig struct {
	Enabled bool   `mapstructure:"enabled"`
	Action  Action `mapstructure:"action"`
	_       struct{}
}

// PIIConfig configures the free-text PII detectors.
type PIIConfig struct {
	Enabled bool     `mapstructure:"enabled"`
	Types   []string `mapstructure:"types"`
	Action  Action   `mapstructure:"action"`
	// Replacement is "label" ([EMAIL], [PHONE], ...) or "stars" (***), for
	// the redact action.
	Replacement Replacement `mapstructure:"replacement"`
	_           struct{}
}

// CustomConfig is a user pattern.
type CustomConfig struct {
	// Name is the rule name in telemetry and in pii.types.
	Name string `mapstructure:"name"`
	// Pattern is an RE2 regular expression.
	Pattern string `mapstructure:"pattern"`
	// Replacement replaces each match with the redact action; empty means "***".
	Replacement string `mapstructure:"replacement"`
	// Action is redact (the default when empty) or hash.
	Action Action `mapstructure:"action"`
	_      struct{}
}

// HashConfig configures the hash action: Prefix followed by the first
// Length hex characters of HMAC-SHA256(Key, value).
type HashConfig struct {
	Key    configopaque.String `mapstructure:"key"`
	Prefix string              `mapstructure:"prefix"`
	Length int                 `mapstructure:"length"`
	_      struct{}
}

// Action is what a rule does with a match.
type Action string

const (
	ActionRedact Action = "redact"
	ActionHash   Action = "hash"
)

// UnmarshalText rejects unknown actions while the configuration is read.
func (a *Action) UnmarshalText(text []byte) error {
	switch v := Action(strings.ToLower(string(text))); v {
	case ActionRedact, ActionHash, "":
		*a = v
		return nil
	}
	return fmt.Errorf("unknown action %q: want %q or %q", text, ActionRedact, ActionHash)
}

func (a Action) masker() masker.Action {
	if a == ActionHash {
		return masker.ActionHash
	}
	return masker.ActionRedact
}

// Replacement is how redacted PII reads.
type Replacement string

const (
	ReplacementLabel Replacement = "label"
	ReplacementStars Replacement = "stars"
)

// UnmarshalText rejects unknown replacement styles.
func (r *Replacement) UnmarshalText(text []byte) error {
	switch v := Replacement(strings.ToLower(string(text))); v {
	case ReplacementLabel, ReplacementStars:
		*r = v
		return nil
	}
	return fmt.Errorf("unknown replacement %q: want %q or %q", text, ReplacementLabel, ReplacementStars)
}

// AnnotateStyle is how the annotation attributes are spelt.
type AnnotateStyle string

const (
	AnnotateDotted     AnnotateStyle = "dotted"
	AnnotateUnderscore AnnotateStyle = "underscore"
)

// UnmarshalText rejects unknown styles.
func (a *AnnotateStyle) UnmarshalText(text []byte) error {
	switch v := AnnotateStyle(strings.ToLower(string(text))); v {
	case AnnotateDotted, AnnotateUnderscore:
		*a = v
		return nil
	}
	return fmt.Errorf("unknown annotate style %q: want %q or %q", text, AnnotateDotted, AnnotateUnderscore)
}

// keys returns the names of the detected flag and of the types list.
func (a AnnotateStyle) keys() (detected, types string) {
	if a == AnnotateUnderscore {
		return "pii_detected", "pii_types"
	}
	return "pii.detected", "pii.types"
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		Enabled:     true,
		DefaultKeys: true,
		Secrets:     SecretsConfig{Enabled: true, Action: ActionRedact},
		Identifiers: IdentifiersConfig{
			Enabled:    true,
			KeepPrefix: masker.DefaultKeepPrefix, KeepSuffix: masker.DefaultKeepSuffix, MinLength: masker.DefaultMinLength,
		},
		Headers: HeadersConfig{
			Enabled: true, Maps: slices.Clone(masker.DefaultHeaderMapKeys),
			KeyPrefixes: slices.Clone(masker.DefaultHeaderKeyPrefixes),
			Names:       slices.Clone(masker.DefaultHeaderNames), NamesAnywhere: true, Action: ActionRedact,
		},
		Query: QueryConfig{Enabled: true, Action: ActionRedact},
		PII: PIIConfig{
			Enabled: true, Types: slices.Clone(masker.DefaultPIITypes),
			Action: ActionRedact, Replacement: ReplacementLabel,
		},
		Hash:          HashConfig{Prefix: masker.DefaultHashPrefix, Length: masker.DefaultHashLength},
		Annotate:      true,
		AnnotateStyle: AnnotateDotted,
	}
}

// Validate reports every configuration error, naming the YAML key.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.Secrets.Enabled && !c.DefaultKeys && len(c.Secrets.Keys) == 0 {
		add("'secrets.keys' must not be empty when 'secrets.enabled' is true and 'default_keys' is false")
	}
	if c.Query.Enabled && !c.DefaultKeys && len(c.Secrets.Keys) == 0 {
		add("'secrets.keys' must not be empty when 'query.enabled' is true and 'default_keys' is false (query masking uses the secret keys)")
	}
	errs = append(errs, c.validateNames()...)
	if c.Identifiers.Enabled {
		id := c.Identifiers
		if !c.DefaultKeys && len(id.Keys) == 0 {
			add("'identifiers.keys' must not be empty when 'identifiers.enabled' is true and 'default_keys' is false")
		}
		if id.KeepPrefix < 0 || id.KeepSuffix < 0 {
			add("'identifiers.keep_prefix' and 'identifiers.keep_suffix' must not be negative")
		}
		if id.MinLength <= id.KeepPrefix+id.KeepSuffix+3 {
			add("'identifiers.min_length' (%d) must exceed keep_prefix + keep_suffix + 3 (%d)",
				id.MinLength, id.KeepPrefix+id.KeepSuffix+3)
		}
	}
	if c.Headers.Enabled {
		if len(c.Headers.Names) == 0 {
			add("'headers.names' must not be empty when 'headers.enabled' is true")
		}
		if len(c.Headers.Maps) == 0 && len(c.Headers.KeyPrefixes) == 0 {
			add("'headers.maps' and 'headers.key_prefixes' must not both be empty when 'headers.enabled' is true")
		}
		if slices.Contains(c.Headers.KeyPrefixes, "") {
			add("'headers.key_prefixes' must not contain an empty prefix")
		}
	}
	if c.PII.Enabled {
		if len(c.PII.Types) == 0 {
			add("'pii.types' must not be empty when 'pii.enabled' is true")
		}
		for _, t := range c.PII.Types {
			if _, ok := masker.PIIRuleByName(t); !ok {
				add("'pii.types' has unknown type %q (valid: %s)", t, strings.Join(masker.PIITypes, ", "))
			}
		}
	}
	errs = append(errs, c.validateCustom()...)
	if users := c.hashUsers(); len(users) > 0 {
		if c.Hash.Key == "" {
			add("'hash.key' must be set when the hash action is used (by %s)", strings.Join(users, ", "))
		}
		if c.Hash.Length < 8 || c.Hash.Length > 64 {
			add("'hash.length' must be between 8 and 64, got %d", c.Hash.Length)
		}
		if p := c.Hash.Prefix; p == "" || strings.ContainsAny(p[len(p)-1:], "0123456789abcdefABCDEF") {
			add("'hash.prefix' must be non-empty and must not end with a hex digit, got %q", p)
		}
	}
	return errors.Join(errs...)
}

// validateNames checks the lists of names: every name needs a letter or a
// digit (names are compared as words), and a kept name cannot also be listed
// as a secret or an identifier.
func (c *Config) validateNames() []error {
	var errs []error
	lists := []struct {
		field string
		names []string
	}{
		{"keep_keys", c.KeepKeys},
		{"secrets.keys", c.Secrets.Keys},
		{"identifiers.keys", c.Identifiers.Keys},
		{"headers.maps", c.Headers.Maps},
		{"headers.names", c.Headers.Names},
	}
	for _, l := range lists {
		for i, n := range l.names {
			if keymatch.Canonical(n) == "" {
				errs = append(errs, fmt.Errorf("'%s[%d]' %q has no letter or digit", l.field, i, n))
			}
		}
	}
	for i, k := range c.KeepKeys {
		canon := keymatch.Canonical(k)
		for _, l := range lists[1:3] {
			for _, n := range l.names {
				if canon != "" && keymatch.Canonical(n) == canon {
					errs = append(errs, fmt.Errorf("'keep_keys[%d]' %q is also in '%s' (%q): a name cannot be kept and masked", i, k, l.field, n))
				}
			}
		}
	}
	return errs
}

func (c *Config) validateCustom() []error {
	var errs []error
	if len(c.Custom) > masker.MaxCustomPatterns {
		errs = append(errs, fmt.Errorf("'custom' has %d patterns, at most %d are supported", len(c.Custom), masker.MaxCustomPatterns))
	}
	seen := map[string]bool{}
	for i, p := range c.Custom {
		field := fmt.Sprintf("'custom[%d]", i)
		switch {
		case p.Name == "":
			errs = append(errs, fmt.Errorf("%s.name' must not be empty", field))
		case seen[p.Name] || masker.IsBuiltinRuleName(p.Name):
			errs = append(errs, fmt.Errorf("%s.name' %q is already used by another rule", field, p.Name))
		}
		seen[p.Name] = true
		if p.Pattern == "" {
			errs = append(errs, fmt.Errorf("%s.pattern' must not be empty", field))
			continue
		}
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.pattern' is not a valid regular expression: %w", field, err))
			continue
		}
		if re.MatchString("") {
			errs = append(errs, fmt.Errorf("%s.pattern' must not match the empty string", field))
		}
		if p.Action != ActionHash && re.MatchString(p.customReplacement()) {
			errs = append(errs, fmt.Errorf("%s.replacement' %q matches the pattern, so masking would not be idempotent", field, p.customReplacement()))
		}
	}
	return errs
}

func (p CustomConfig) customReplacement() string {
	if p.Replacement == "" {
		return masker.Redacted
	}
	return p.Replacement
}

// hashUsers names the enabled rules whose action is hash.
func (c *Config) hashUsers() []string {
	var users []string
	if c.Secrets.Enabled && c.Secrets.Action == ActionHash {
		users = append(users, "'secrets.action'")
	}
	if c.Headers.Enabled && c.Headers.Action == ActionHash {
		users = append(users, "'headers.action'")
	}
	if c.Query.Enabled && c.Query.Action == ActionHash {
		users = append(users, "'query.action'")
	}
	if c.PII.Enabled && c.PII.Action == ActionHash {
		users = append(users, "'pii.action'")
	}
	for i, p := range c.Custom {
		if p.Action == ActionHash {
			users = append(users, fmt.Sprintf("'custom[%d].action'", i))
		}
	}
	return users
}

// settings turns a valid Config into masker settings.
func (c *Config) settings() (masker.Settings, error) {
	s := masker.Settings{
		DefaultKeys: c.DefaultKeys,
		KeepKeys:    c.KeepKeys,
		Secrets:     masker.KeyRule{Enabled: c.Secrets.Enabled, Keys: c.Secrets.Keys, Action: c.Secrets.Action.masker()},
		Identifiers: masker.IdentifierRule{
			Enabled: c.Identifiers.Enabled, Keys: c.Identifiers.Keys,
			KeepPrefix: c.Identifiers.KeepPrefix, KeepSuffix: c.Identifiers.KeepSuffix, MinLength: c.Identifiers.MinLength,
		},
		Headers: masker.HeaderRule{
			Enabled: c.Headers.Enabled, MapKeys: c.Headers.Maps, KeyPrefixes: c.Headers.KeyPrefixes,
			Names: c.Headers.Names, Anywhere: c.Headers.NamesAnywhere, Action: c.Headers.Action.masker(),
		},
		Query: masker.TextRule{Enabled: c.Query.Enabled, Action: c.Query.Action.masker()},
		PII: masker.PIIRule{
			Enabled: c.PII.Enabled, Types: c.PII.Types, Action: c.PII.Action.masker(),
			Labels: c.PII.Replacement != ReplacementStars,
		},
		Hash: masker.HashSettings{Key: []byte(c.Hash.Key), Prefix: c.Hash.Prefix, Length: c.Hash.Length},
	}
	for _, p := range c.Custom {
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return s, fmt.Errorf("custom pattern %q: %w", p.Name, err)
		}
		s.Custom = append(s.Custom, masker.CustomPattern{
			Name: p.Name, Regexp: re, Replacement: p.customReplacement(), Action: p.Action.masker(),
		})
	}
	return s, nil
}
