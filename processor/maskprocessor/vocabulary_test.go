package maskprocessor

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/redline-otel/redline/processor/maskprocessor/internal/masker"
)

// caseStyles renders canonical words (joined by '_') the ways services
// spell names.
var caseStyles = map[string]func(words []string) string{
	"snake":  func(w []string) string { return strings.Join(w, "_") },
	"kebab":  func(w []string) string { return strings.Join(w, "-") },
	"dotted": func(w []string) string { return strings.Join(w, ".") },
	"upper":  func(w []string) string { return strings.ToUpper(strings.Join(w, "_")) },
	"camel": func(w []string) string {
		return w[0] + strings.Join(mapWords(w[1:], title), "")
	},
	"pascal": func(w []string) string { return strings.Join(mapWords(w, title), "") },
	"train":  func(w []string) string { return strings.Join(mapWords(w, title), "-") },
	"spaced": func(w []string) string { return strings.Join(w, " ") },
}

func title(w string) string { return strings.ToUpper(w[:1]) + w[1:] }

func mapWords(w []string, f func(string) string) []string {
	out := make([]string, len(w))
	for i, s := range w {
		out[i] = f(s)
	}
	return out
}

// Words put before a phrase: none of them is a flag word, a word that makes
// "token" no credential, or the start of a header name.
var keyPrefixes = [][]string{nil, {"my"}, {"upstream"}, {"db"}, {"legacy", "app"}, {"github"}}

// valueKinds plant a value of every pdata type under a key; the planted text
// (or number) must not survive.
var valueKinds = []func(v pcommon.Value, mark string, n int64){
	func(v pcommon.Value, mark string, _ int64) { v.SetStr(mark) },
	func(v pcommon.Value, _ string, n int64) { v.SetInt(n) },
	func(v pcommon.Value, _ string, n int64) { v.SetDouble(float64(n) + 0.5) },
	func(v pcommon.Value, _ string, _ int64) { v.SetBool(true) },
	func(v pcommon.Value, mark string, _ int64) { v.SetEmptyBytes().FromRaw([]byte(mark)) },
	func(v pcommon.Value, mark string, n int64) {
		s := v.SetEmptySlice()
		s.AppendEmpty().SetStr(mark)
		s.AppendEmpty().SetInt(n)
	},
	func(v pcommon.Value, mark string, n int64) {
		m := v.SetEmptyMap()
		m.PutStr("value", mark)
		m.PutEmptyMap("deeper").PutInt("n", n)
	},
}

// nest puts a container chain of random depth (maps and slices of maps) under
// attrs and returns the map the planted key goes in.
func nest(r *rand.Rand, attrs pcommon.Map, depth int) pcommon.Map {
	m := attrs
	for d := range depth {
		if r.IntN(2) == 0 {
			m = m.PutEmptyMap(fmt.Sprintf("level%d", d))
		} else {
			s := m.PutEmptySlice(fmt.Sprintf("items%d", d))
			s.AppendEmpty().SetStr("sibling")
			m = s.AppendEmpty().SetEmptyMap()
		}
	}
	return m
}

type plantedKey struct {
	key, style, mark string
	n                int64
	identifier       bool
}

// TestPropertyVocabularySpellings plants every vocabulary phrase (and its
// plural) in every case style, after random ordinary words, nested at random
// depths, as every value type, with the shipped configuration and with
// hashing: no planted value survives, the ordinary sibling next to each
// does, and a secret's id is truncated rather than starred.
func TestPropertyVocabularySpellings(t *testing.T) {
	cfgs := map[string]*Config{"shipped": shippedCfg(t), "hash": hashCfg()}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(42, 0x5eed))
			ld := plog.NewLogs()
			lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			var planted []plantedKey
			id := int64(7_770_000_000)
			for _, v := range masker.SecretVocabulary {
				forms := []string{v.Phrase}
				if v.Plural {
					forms = append(forms, v.Phrase+"s")
				}
				forms = append(forms, v.Phrase+"_id") // last: an identifier
				for fi, form := range forms {
					for style, render := range caseStyles {
						id++
						words := append(append([]string(nil), keyPrefixes[r.IntN(len(keyPrefixes))]...), strings.Split(form, "_")...)
						p := plantedKey{
							key: render(words), style: style, mark: fmt.Sprintf("Zq%dPLANTzq", id), n: 9_000_000_000_000 + id,
							identifier: fi == len(forms)-1,
						}
						lr := lrs.AppendEmpty()
						m := nest(r, lr.Attributes(), r.IntN(5))
						m.PutStr("sibling_note", fmt.Sprintf("kept-sibling-%d", len(planted)))
						if p.identifier {
							m.PutStr(p.key, p.mark+"-0123456789abcdef")
						} else {
							valueKinds[r.IntN(len(valueKinds))](m.PutEmpty(p.key), p.mark, p.n)
						}
						planted = append(planted, p)
					}
				}
			}
			out := runLogs(t, cfg, ld)
			got := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			require.Equal(t, len(planted), got.Len())
			for i, p := range planted {
				s := string(marshalRecord(t, got.At(i)))
				assert.Contains(t, s, fmt.Sprintf(`"kept-sibling-%d"`, i), "%s (%s): the ordinary sibling changed", p.key, p.style)
				if strings.Contains(s, p.mark) || strings.Contains(s, base64.StdEncoding.EncodeToString([]byte(p.mark))) ||
					strings.Contains(s, fmt.Sprint(p.n)) {
					assert.Failf(t, "planted value survived", "%s (%s): %s", p.key, p.style, s)
				}
				want := `"key":"` + p.key + `","value":{"stringValue":"(\*\*\*|hmac:[0-9a-f]{16})"}`
				if p.identifier {
					want = `"key":"` + p.key + `","value":{"stringValue":"` + p.mark[:7] + `\.\.\.cdef"}`
				}
				assert.Regexp(t, want, s, "%s (%s)", p.key, p.style)
			}
		})
	}
}

func marshalRecord(t *testing.T, lr plog.LogRecord) []byte {
	ld := plog.NewLogs()
	lr.CopyTo(ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
	return marshalLogs(t, ld)
}

// nearMisses only contain a word of the vocabulary: their values pass
// untouched, as attributes in every case style and as name=value in text.
var nearMisses = []string{
	"input_tokens", "output_tokens", "max_tokens", "total_tokens", "prompt_tokens", "completion_tokens",
	"cached_tokens", "token_count", "tokens", "tokenizer", "token_type", "tokens_per_second",
	"time_to_first_token_ms", "next_page_token", "eos_token",
	"author", "authority", "auth_method", "keyboard", "monkey", "key", "cache_key", "public_key",
	"session_count", "session", "secretary", "secret_name", "password_last_changed_at", "password_hint",
	"password_policy", "has_password", "is_secret", "with_credentials", "access_control_allow_credentials",
	"require_api_key", "cookie_consent", "signature_algorithm", "card_type", "request_id", "client_id",
	"compass", "bypass", "company", "expansion",
}

func TestNearMissesPassUntouched(t *testing.T) {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	want := map[string]any{}
	var text []string
	for i, name := range nearMisses {
		words := strings.Split(name, "_")
		for style, render := range caseStyles {
			if style == "spaced" && len(words) > 1 {
				continue // not a name in text
			}
			key := render(words)
			if _, dup := want[key]; dup {
				continue
			}
			if i%2 == 0 {
				lr.Attributes().PutInt(key, int64(1000+i))
				want[key] = int64(1000 + i)
			} else {
				lr.Attributes().PutStr(key, "plain-value-"+key)
				want[key] = "plain-value-" + key
			}
			if style != "spaced" {
				text = append(text, fmt.Sprintf("%s=v%d", key, i))
			}
		}
	}
	body := strings.Join(text, "&")
	lr.Body().SetStr(body)
	out := runLogs(t, shippedCfg(t), ld)
	got := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, want, got.Attributes().AsRaw())
	assert.Equal(t, body, got.Body().Str())
}

// TestREADMEListsVocabulary keeps the README's vocabulary tables in step with
// vocabulary.go, the one place the words are listed.
func TestREADMEListsVocabulary(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(raw)
	section := func(heading string) string {
		i := strings.Index(readme, heading)
		require.GreaterOrEqual(t, i, 0, "README has no %q", heading)
		rest := readme[i+len(heading):]
		if j := strings.Index(rest, "\n#"); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	vocab := section("### Default vocabulary")
	require.Contains(t, vocab, "Names that only look like secrets")
	code := regexp.MustCompile("`([a-z0-9_ ]+)`")
	listed := map[string]bool{}
	for _, m := range code.FindAllStringSubmatch(vocab, -1) {
		listed[strings.ReplaceAll(m[1], " ", "_")] = true
	}
	for _, v := range masker.SecretVocabulary {
		assert.True(t, listed[v.Phrase], "README vocabulary table lacks %q", v.Phrase)
	}
	for _, list := range [][]string{
		masker.SecretSuffixes, masker.IdentifierSuffixes, masker.FlagWords, masker.NotCredentialTokens,
		masker.DefaultIdentifierKeys,
	} {
		for _, w := range list {
			assert.True(t, listed[w], "README vocabulary section lacks %q", w)
		}
	}

	// The examples in the phrase table are secrets with the defaults; the
	// look-alikes listed after it are not.
	m, err := masker.New(mustSettings(t, defaultCfg()))
	require.NoError(t, err)
	examples := 0
	for _, line := range strings.Split(vocab, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 5 || !strings.Contains(cells[1], "`") || strings.Contains(line, "---") {
			continue
		}
		for _, ex := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cells[3], -1) {
			assert.Equal(t, masker.KeySecret, m.Classify(ex[1]), "README example %q", ex[1])
			examples++
		}
	}
	assert.Greater(t, examples, 50)
	i := strings.Index(vocab, "Names that only look like secrets")
	require.GreaterOrEqual(t, i, 0)
	lookAlikes := vocab[i : strings.Index(vocab[i:], "The RED usage")+i]
	for _, ex := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(lookAlikes, -1) {
		assert.Equal(t, masker.KeyPlain, m.Classify(ex[1]), "README look-alike %q", ex[1])
	}
}

func mustSettings(t *testing.T, cfg *Config) masker.Settings {
	s, err := cfg.settings()
	require.NoError(t, err)
	return s
}
