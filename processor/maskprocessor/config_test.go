package maskprocessor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/redline-otel/redline/processor/maskprocessor/internal/metadata"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig()
	require.NoError(t, confmap.New().Unmarshal(&cfg))
	assert.Equal(t, createDefaultConfig(), cfg)
	require.NoError(t, confmap.Validate(cfg))
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	full := createDefaultConfig().(*Config)
	full.Secrets.Keys = []string{"password", "db_password", "aws_secret_access_key"}
	full.Secrets.Action = ActionHash
	full.Identifiers.Keys = []string{"peer", "user_id"}
	full.Identifiers.KeepPrefix, full.Identifiers.KeepSuffix, full.Identifiers.MinLength = 4, 4, 16
	full.Headers.Maps = []string{"headers"}
	full.Headers.KeyPrefixes = []string{"http.request.header."}
	full.Headers.Names = []string{"Authorization", "X-Api-Key"}
	full.Headers.NamesAnywhere = false
	full.Query.Action = ActionHash
	full.PII.Types = []string{"email", "phone", "card", "ipv4", "ipv6"}
	full.PII.Action = ActionHash
	full.PII.Replacement = ReplacementStars
	full.Custom = []CustomConfig{
		{Name: "ssn", Pattern: `\b\d{3}-\d{2}-\d{4}\b`, Replacement: "[SSN]"},
		{Name: "order_id", Pattern: `ORD-[0-9]{6,}`, Action: ActionHash},
	}
	full.Hash = HashConfig{Key: "s3cr3t-hmac-key", Prefix: "h:", Length: 12}
	full.Annotate = true
	full.AnnotateStyle = AnnotateUnderscore
	full.KeepKeys = []string{"max_tokens", "session_id"}

	ownKeys := createDefaultConfig().(*Config)
	ownKeys.DefaultKeys = false
	ownKeys.Secrets.Keys = []string{"db_pass"}
	ownKeys.Identifiers.Keys = []string{"user_id"}

	emptyWithDefaults := createDefaultConfig().(*Config)
	emptyWithDefaults.Secrets.Keys = []string{}
	emptyWithDefaults.Identifiers.Keys = []string{}

	disabled := createDefaultConfig().(*Config)
	disabled.Enabled = false

	for _, tc := range []struct {
		name         string
		want         *Config
		unmarshalErr string
		validateErrs []string
	}{
		{name: "", want: createDefaultConfig().(*Config)},
		{name: "disabled", want: disabled},
		{name: "full", want: full},
		{name: "typo", unmarshalErr: "kyes"},
		{name: "bad_action", unmarshalErr: `unknown action "scramble"`},
		{name: "bad_replacement", unmarshalErr: `unknown replacement "emoji"`},
		{name: "bad_regexp", validateErrs: []string{"'custom[0].pattern' is not a valid regular expression"}},
		{name: "empty_secret_keys", validateErrs: []string{
			"'secrets.keys' must not be empty when 'secrets.enabled' is true and 'default_keys' is false",
			"'secrets.keys' must not be empty when 'query.enabled' is true and 'default_keys' is false",
		}},
		{name: "empty_identifier_keys", validateErrs: []string{
			"'identifiers.keys' must not be empty when 'identifiers.enabled' is true and 'default_keys' is false",
		}},
		{name: "empty_keys_with_defaults", want: emptyWithDefaults},
		{name: "own_keys_only", want: ownKeys},
		{name: "keep_conflicts", validateErrs: []string{
			`'keep_keys[1]' "clientSecret" is also in 'secrets.keys' ("client_secret")`,
			`'keep_keys[2]' "--" has no letter or digit`,
			`'keep_keys[3]' "userId" is also in 'identifiers.keys' ("user.id")`,
		}},
		{name: "empty_names", validateErrs: []string{
			`'secrets.keys[0]' "***" has no letter or digit`,
			`'headers.names[1]' "" has no letter or digit`,
		}},
		{name: "bad_annotate_style", unmarshalErr: `unknown annotate style "camel"`},
		{name: "empty_pii_types", validateErrs: []string{"'pii.types' must not be empty"}},
		{name: "unknown_pii_type", validateErrs: []string{`'pii.types' has unknown type "ssn"`}},
		{name: "hash_without_key", validateErrs: []string{"'hash.key' must be set when the hash action is used (by 'pii.action')"}},
		{name: "bad_hash", validateErrs: []string{"'hash.length' must be between 8 and 64", "'hash.prefix' must be non-empty"}},
		{name: "bad_identifier_lengths", validateErrs: []string{"'identifiers.min_length' (12) must exceed"}},
		{name: "bad_custom", validateErrs: []string{
			"'custom[0].name' must not be empty",
			`'custom[1].name' "email" is already used`,
			`'custom[2].replacement' "***" matches the pattern`,
			"'custom[3].pattern' must not match the empty string",
		}},
		{name: "empty_headers", validateErrs: []string{
			"'headers.names' must not be empty", "'headers.maps' and 'headers.key_prefixes' must not both be empty",
		}},
		{name: "rules_off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tc.name).String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if tc.unmarshalErr != "" {
				require.Error(t, err)
				assert.ErrorContains(t, err, tc.unmarshalErr)
				return
			}
			require.NoError(t, err)
			err = confmap.Validate(cfg)
			if len(tc.validateErrs) > 0 {
				require.Error(t, err)
				for _, want := range tc.validateErrs {
					assert.ErrorContains(t, err, want)
				}
				return
			}
			require.NoError(t, err)
			if tc.want != nil {
				assert.Equal(t, tc.want, cfg)
			}
			_, err = cfg.(*Config).settings()
			require.NoError(t, err)
		})
	}
}

func TestHashKeyIsOpaque(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Hash.Key = "do-not-print"
	assert.NotContains(t, cfg.Hash.Key.String(), "do-not-print")
}
