package maskprocessor

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.yaml.in/yaml/v3"
)

// shippedCfg is the mask processor's configuration as config/collector.yaml
// sets it, with every ${env:NAME:-default} at its default.
func shippedCfg(t *testing.T) *Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "collector.yaml"))
	require.NoError(t, err)
	raw = regexp.MustCompile(`\$\{env:[A-Z0-9_]+:-([^}]*)\}`).ReplaceAll(raw, []byte("$1"))
	var doc struct {
		Processors map[string]map[string]any `yaml:"processors"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	section, ok := doc.Processors["mask"]
	require.True(t, ok, "config/collector.yaml has no mask processor")
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, confmap.NewFromStringMap(section).Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	return cfg
}

// lineToLogs turns one JSON log line into a log record the way the accesslog
// receiver does: msg becomes the body, logger the scope, ts the timestamp,
// level the severity text, and every other field an attribute with its type
// kept (integral numbers as ints, objects as maps, arrays as slices).
func lineToLogs(t *testing.T, line []byte) plog.Logs {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	require.NoError(t, dec.Decode(&obj))
	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	lr := sl.LogRecords().AppendEmpty()
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		switch k {
		case "msg":
			lr.Body().SetStr(v.(string))
		case "logger":
			sl.Scope().SetName(v.(string))
		case "level":
			lr.SetSeverityText(v.(string))
		case "ts":
			ts, err := time.Parse(time.RFC3339Nano, v.(string))
			require.NoError(t, err)
			lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		default:
			setJSON(t, lr.Attributes().PutEmpty(k), v)
		}
	}
	return ld
}

// setJSON sets dst to a decoded JSON value, map keys in sorted order (so the
// golden file is stable) and json.Number as int64 or float64.
func setJSON(t *testing.T, dst pcommon.Value, v any) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			dst.SetInt(i)
			return
		}
		f, err := x.Float64()
		require.NoError(t, err)
		dst.SetDouble(f)
	case map[string]any:
		m := dst.SetEmptyMap()
		for _, k := range slices.Sorted(maps.Keys(x)) {
			setJSON(t, m.PutEmpty(k), x[k])
		}
	case []any:
		s := dst.SetEmptySlice()
		for _, e := range x {
			setJSON(t, s.AppendEmpty(), e)
		}
	default:
		require.NoError(t, dst.FromRaw(x))
	}
}

// plantedValues are the secrets in testdata/planted_line/line.json: the
// field (a path of keys, or slice indexes, from the record's attributes;
// "body" for the body) and the planted text, numbers as their digits.
var plantedValues = []struct {
	path  []string
	value string
}{
	// Names that frameworks and SDKs write, which the seed's short list missed.
	{[]string{"secret"}, "S01-plain-secret-value"},
	{[]string{"Secret"}, "S02-Pascal-Secret"},
	{[]string{"clientSecret"}, "S03-cs-9f8e7d6c"},
	{[]string{"apiKey"}, "S04-ak-live-51Hx9a"},
	{[]string{"accessToken"}, "S05-at-ya29a0Af"},
	{[]string{"refreshToken"}, "S06-rt-1gLk"},
	{[]string{"id_token"}, "S07-idtoken-opaque"},
	{[]string{"pwd"}, "90210424"},
	{[]string{"userPassword"}, "S09-hunter2"},
	{[]string{"privateKey"}, "S10-pk-base64AAAA"},
	{[]string{"credentials"}, "S11-creds-pin"},
	{[]string{"auth_token"}, "S12-auth-token"},
	{[]string{"session_token"}, "S13-sess-token"},
	{[]string{"x-auth-token"}, "S14-x-auth"},
	{[]string{"aws_secret_access_key"}, "S15wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"},
	{[]string{"secretAccessKey"}, "S16-sak"},
	{[]string{"connection_string"}, "S17accountKeyBase64=="},
	{[]string{"webhook_secret"}, "S18-whsec"},
	{[]string{"signingSecret"}, "S19-slack-sign"},
	{[]string{"encryption_key"}, "S20-enc-key"},
	{[]string{"cvv"}, "737"},
	{[]string{"card_number"}, "4111111111111111"},
	// Names the seed's list already had, and a password in a list and as a number.
	{[]string{"password"}, "S23-password"},
	{[]string{"api-key"}, "S24-api-key"},
	{[]string{"access_token"}, "S25-access-token"},
	{[]string{"client_secret"}, "S26-client-secret"},
	{[]string{"accounts", "0", "password"}, "S27-in-list"},
	{[]string{"Password"}, "987654321"},
	// Secrets recognisable by their value, under ordinary names.
	{[]string{"body"}, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXMyOQ"},
	{[]string{"contact"}, "alice.smith@example.com"},
	{[]string{"upstream"}, "sk-live-4f9a8b7c6d5e4f3a2b1c"},
	{[]string{"seen_key"}, "AKIAIOSFODNN7EXAMPLE"},
	{[]string{"tls_material"}, "MIIEpAIBAAKCAQEAS33"},
	{[]string{"payment_note"}, "5500 0000 0000 0004"},
	// Other spellings and names of the same kinds.
	{[]string{"CLIENT_SECRET"}, "S35-env-style"},
	{[]string{"client.secret"}, "S36-dotted"},
	{[]string{"passphrase"}, "S37-passphrase"},
	{[]string{"sessionId"}, "S38-sess-id"},
	{[]string{"JSESSIONID"}, "S39-jsession"},
	{[]string{"db_password"}, "S40-db-password"},
	{[]string{"bearer_token"}, "S41-bearer"},
	{[]string{"csrf_token"}, "S42-csrf"},
	{[]string{"masterKey"}, "S43-master"},
	{[]string{"sentry_dsn"}, "S44publickey"},
	{[]string{"ssn"}, "078-05-1120"},
	{[]string{"cvc"}, "909"},
}

// keptValues are fields of the same line that only look like secrets: they
// must come out exactly as they went in. api_key_id is an identifier, so it
// is truncated, not starred.
var keptValues = map[string]any{
	"extra": map[string]any{
		"provider": "vllm", "input_tokens": int64(512), "output_tokens": int64(128), "total_tokens": int64(640),
		"max_tokens": int64(1024), "prompt_tokens": int64(512), "token_count": int64(7), "cost_usd": 0.00042,
	},
	"tokenizer": "cl100k_base", "author": "alice", "authority": "auth.example.com", "keyboard": "dvorak",
	"monkey": "chaos", "session_count": int64(3), "secretary": "bob",
	"password_last_changed_at": "2026-01-02T03:04:05Z", "api_key_id": "ak_id_7...a1e2",
	"request_id": "825e53134e178cd1", "service": "checkout", "method": "POST", "path": "/v1/login", "status": int64(200),
}

// survivors returns the planted values still readable in the record.
func survivors(lr plog.LogRecord) []string {
	var out []string
	for _, p := range plantedValues {
		v, ok := lr.Body(), true
		if p.path[0] != "body" {
			v, ok = lr.Attributes().Get(p.path[0])
			for _, step := range p.path[1:] {
				if !ok {
					break
				}
				switch v.Type() {
				case pcommon.ValueTypeMap:
					v, ok = v.Map().Get(step)
				case pcommon.ValueTypeSlice:
					i, err := strconv.Atoi(step)
					ok = err == nil && i < v.Slice().Len()
					if ok {
						v = v.Slice().At(i)
					}
				default:
					ok = false
				}
			}
		}
		if ok && strings.Contains(v.AsString(), p.value) {
			out = append(out, strings.Join(p.path, "."))
		}
	}
	return out
}

// TestPlantedLine runs one JSON log line that carries the secret names real
// services write through the processor configured as config/collector.yaml
// configures it: no planted value may survive, the look-alikes must pass
// untouched, and the output is pinned by a golden file.
func TestPlantedLine(t *testing.T) {
	require.Len(t, plantedValues, 46)
	line, err := os.ReadFile(filepath.Join("testdata", "planted_line", "line.json"))
	require.NoError(t, err)
	for _, p := range plantedValues {
		require.Contains(t, string(line), p.value, "%v is not in line.json", p.path)
	}
	cfg := shippedCfg(t)
	out := runLogs(t, cfg, lineToLogs(t, line))
	lr := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)

	left := survivors(lr)
	t.Logf("%d of %d planted values survived: %v", len(left), len(plantedValues), left)
	assert.Empty(t, left, "planted values reached the exporter")

	attrs := lr.Attributes().AsRaw()
	for k, want := range keptValues {
		assert.Equal(t, want, attrs[k], k)
	}

	path := filepath.Join("testdata", "planted_line", "expected.yaml")
	if *update {
		require.NoError(t, golden.WriteLogs(t, path, out))
	}
	want, err := golden.ReadLogs(path)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(want, out, plogtest.IgnoreObservedTimestamp()))
}
