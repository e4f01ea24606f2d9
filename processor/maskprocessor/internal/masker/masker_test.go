package masker

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newMasker(t testing.TB, mutate func(*Settings)) *Masker {
	t.Helper()
	s := DefaultSettings()
	if mutate != nil {
		mutate(&s)
	}
	m, err := New(s)
	require.NoError(t, err)
	return m
}

func allPII(s *Settings) { s.PII.Types = PIITypes }

func TestClassify(t *testing.T) {
	m := newMasker(t, nil)
	for _, tc := range []struct {
		key  string
		want KeyKind
	}{
		{"password", KeySecret},
		{"PASSWORD", KeySecret},
		{"Client-Secret", KeySecret},
		{"client.secret", KeySecret},
		{"access_token", KeySecret},
		{"credential_json", KeySecret},
		{"peer", KeyIdentifier},
		{"Node-ID", KeyIdentifier},
		{"contract_id", KeyIdentifier},
		{"request_headers", KeyHeaderMap},
		{"http.request.header", KeyHeaderMap},
		{"Headers", KeyHeaderMap},
		{"http.request.header.authorization", KeySensitiveHeader},
		{"http.request.header.x-api-key", KeySensitiveHeader},
		{"http.response.header.set-cookie", KeySensitiveHeader},
		{"HTTP.Request.Header.Cookie", KeySensitiveHeader},
		{"http.request.header.content-type", KeyPlain},
		{"http.request.header.", KeyHeaderMap}, // the trailing dot is a separator: the header map's name
		{"authorization", KeySensitiveHeader},  // header names are secret keys anywhere
		{"Set-Cookie", KeySensitiveHeader},
		{"header", KeyHeaderMap},
		{"tokens", KeyPlain},
		{"password_hint_len", KeyPlain},
		{"http.request.method", KeyPlain},
		{"", KeyPlain},
	} {
		assert.Equal(t, tc.want, m.Classify(tc.key), tc.key)
	}
	assert.Equal(t, KeySensitiveHeader, m.ClassifyHeader("authorization"))
	assert.Equal(t, KeySensitiveHeader, m.ClassifyHeader("X_API_KEY"))
	assert.Equal(t, KeySecret, m.ClassifyHeader("token"))
	assert.Equal(t, KeyPlain, m.ClassifyHeader("Content-Type"))

	inMapsOnly := newMasker(t, func(s *Settings) { s.Headers.Anywhere = false })
	assert.Equal(t, KeyPlain, inMapsOnly.Classify("authorization"))
	assert.Equal(t, KeySensitiveHeader, inMapsOnly.ClassifyHeader("authorization"))
	got, _ := inMapsOnly.MaskText("Cookie: sid=abc", new(Stats))
	assert.Equal(t, "Cookie: sid=abc", got, "header names in text only with names_anywhere")
}

func TestClassifyDisabledRules(t *testing.T) {
	m := newMasker(t, func(s *Settings) {
		s.Secrets.Enabled = false
		s.Headers.Enabled = false
		s.Identifiers.Enabled = false
	})
	for _, k := range []string{"password", "headers", "peer", "http.request.header.authorization"} {
		assert.Equal(t, KeyPlain, m.Classify(k), k)
	}
	assert.Equal(t, KeyPlain, m.ClassifyHeader("authorization"))
}

func TestTruncateIdentifier(t *testing.T) {
	m := newMasker(t, nil)
	for _, tc := range []struct {
		in, want string
		changed  bool
	}{
		{"7f3a9c2e51b84d06a1e2f3c4d5b6a7980f1e2d3c", "7f3a9c2...2d3c", true},
		{"c0ffee00deadbeef1234567890abcdef", "c0ffee0...cdef", true},
		{"abcdefghijklmnopqrstuv", "abcdefg...stuv", true}, // exactly 22
		{"node-4f2a9b7c1d3e5f60", "***", true},             // 21: too short
		{"abc", "***", true},
		{"abc1234...5678", "abc1234...5678", false}, // already truncated
		{"***", "***", false},
		{"", "", false},
		{"ééééééééééééééééééééééééé", "ééééééé...éééé", true},
	} {
		got, changed := m.TruncateIdentifier(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Equal(t, tc.changed, changed, tc.in)
		again, changedAgain := m.TruncateIdentifier(got)
		assert.Equal(t, got, again, "idempotent: %s", tc.in)
		assert.False(t, changedAgain, tc.in)
	}
}

func TestSecretReplacementAndHash(t *testing.T) {
	m := newMasker(t, nil)
	assert.Equal(t, Redacted, m.SecretReplacement(KeySecret, "hunter2"))
	assert.False(t, m.NeedsOriginal(KeySecret))
	assert.True(t, m.IsMasked("***"))
	assert.False(t, m.IsMasked("hmac:0123456789abcdef")) // not hashing: not a mask

	h := newMasker(t, func(s *Settings) {
		s.Secrets.Action = ActionHash
		s.Hash.Key = []byte("k1")
	})
	got := h.SecretReplacement(KeySecret, "hunter2")
	assert.Regexp(t, `^hmac:[0-9a-f]{16}$`, got)
	assert.Equal(t, got, h.SecretReplacement(KeySecret, "hunter2"), "deterministic")
	assert.NotEqual(t, got, h.SecretReplacement(KeySecret, "hunter3"))
	assert.True(t, h.IsMasked(got))
	assert.True(t, h.NeedsOriginal(KeySecret))
	assert.Equal(t, Redacted, h.SecretReplacement(KeySensitiveHeader, "Bearer x"), "headers keep their own action")

	other := newMasker(t, func(s *Settings) {
		s.Secrets.Action = ActionHash
		s.Hash.Key = []byte("k2")
	})
	assert.NotEqual(t, got, other.SecretReplacement(KeySecret, "hunter2"), "keyed")
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Settings)
		want   string
	}{
		{"hash without key", func(s *Settings) { s.PII.Action = ActionHash }, "non-empty key"},
		{"hash length", func(s *Settings) {
			s.Secrets.Action = ActionHash
			s.Hash.Key = []byte("k")
			s.Hash.Length = 4
		}, "between 8 and 64"},
		{"hash prefix", func(s *Settings) {
			s.Secrets.Action = ActionHash
			s.Hash.Key = []byte("k")
			s.Hash.Prefix = "h1"
		}, "prefix"},
		{"pii type", func(s *Settings) { s.PII.Types = []string{"ssn"} }, `unknown PII type "ssn"`},
		{"identifier lengths", func(s *Settings) { s.Identifiers.MinLength = 10 }, "min length"},
		{"custom without regexp", func(s *Settings) { s.Custom = []CustomPattern{{Name: "x"}} }, "no regular expression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultSettings()
			tc.mutate(&s)
			_, err := New(s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestPIINames(t *testing.T) {
	m := newMasker(t, func(s *Settings) {
		s.Custom = []CustomPattern{{Name: "ssn", Regexp: regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), Replacement: "[SSN]"}}
	})
	mask := uint64(1)<<RulePhone | 1<<RuleEmail | 1<<RuleCustom0
	assert.Equal(t, []string{"email", "phone", "ssn"}, m.PIINames(nil, mask))
	assert.Equal(t, "ssn", m.RuleName(RuleCustom0))
	assert.Equal(t, "aws_access_key", m.RuleName(RuleAWSAccessKey))
	assert.Equal(t, int(RuleCustom0)+1, m.NumRules())
	assert.False(t, RuleSecret.IsPII())
	assert.True(t, RuleCard.IsPII())
}

func TestStatsMerge(t *testing.T) {
	var a, b Stats
	a.Add(RuleSecret)
	b.Add(RuleEmail)
	b.Add(RuleEmail)
	a.Merge(&b)
	assert.Equal(t, uint32(3), a.Total)
	assert.Equal(t, uint32(2), a.Masked[RuleEmail])
	assert.Equal(t, uint64(1)<<RuleEmail, a.PII)
	assert.True(t, strings.Contains(builtinLabels[RuleEmail], "EMAIL"))
}

// TestKeyFilterRejectsOrdinaryKeys: the last-word filter sends the common
// attribute names of access logs to no lookup at all.
func TestKeyFilterRejectsOrdinaryKeys(t *testing.T) {
	m := newMasker(t, nil)
	rejected := 0
	others := []string{
		"http.request.method", "url.path", "service", "method", "duration_ms", "status_code", "logger",
		"model", "cached", "ts", "service.name", "http.response.status_code", "latency_ms", "category",
	}
	for _, k := range others {
		if !m.names.keyFilter.mayMatch(k) {
			rejected++
		}
	}
	assert.GreaterOrEqual(t, rejected, len(others)-1)
}

func TestMaskHeaderLine(t *testing.T) {
	m := newMasker(t, nil)
	for _, tc := range []struct {
		in, want string
		n        int
	}{
		{"Authorization: Basic dXNlcjpwYXNz", "Authorization: ***", 1},
		{"x-api-key:ak_1", "x-api-key: ***", 1},
		{"Set-Cookie: ***", "Set-Cookie: ***", 0},
		{"Accept: */*", "Accept: */*", 0},
		{"no colon", "no colon", 0},
		{": empty name", ": empty name", 0},
		{"Cookie:", "Cookie:", 0},
		{"GET / HTTP/1.1\r\nHost: x\r\nCookie: sid=SECRET\r\nAuthorization: Basic U0VDUkVU\r\n\r\n",
			"GET / HTTP/1.1\r\nHost: x\r\nCookie: ***\r\nAuthorization: ***\r\n\r\n", 2},
		{"Host: x\nset-cookie: a=SECRET; HttpOnly", "Host: x\nset-cookie: ***", 1},
	} {
		got, n := m.MaskHeaderLine(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Equal(t, tc.n, n, tc.in)
		again, n2 := m.MaskHeaderLine(got)
		assert.Equal(t, got, again, tc.in)
		assert.Zero(t, n2, tc.in)
	}
}
