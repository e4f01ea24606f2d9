package masker

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	testPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH\nlWu2/a1gB9JW5TBQ+AVpum9Okx0=\n-----END RSA PRIVATE KEY-----"
)

func TestMaskTextDetects(t *testing.T) {
	m := newMasker(t, allPII)
	for _, tc := range []struct {
		name, in, want string
		rules          []Rule
	}{
		{"email", "user alice.smith+tag@example.co.uk signed in", "user [EMAIL] signed in", []Rule{RuleEmail}},
		{"email in json", `{"client": "user@example.com"}`, `{"client": "[EMAIL]"}`, []Rule{RuleEmail}},
		{"two emails", "a@b.io,c@d.org", "[EMAIL],[EMAIL]", []Rule{RuleEmail, RuleEmail}},
		{"intl phone", "call +1 415 555 2671 now", "call [PHONE] now", []Rule{RulePhone}},
		{"e164 phone", "to=+14155552671", "to=[PHONE]", []Rule{RulePhone}},
		{"nanp parens", "phone (415) 555-2671.", "phone [PHONE].", []Rule{RulePhone}},
		{"nanp hyphens", "415-555-2671", "[PHONE]", []Rule{RulePhone}},
		{"nanp dots", "415.555.2671", "[PHONE]", []Rule{RulePhone}},
		{"nanp with 1", "1-800-555-1234", "[PHONE]", []Rule{RulePhone}},
		{"uk national", "tel: 020 7946 0958", "tel: [PHONE]", []Rule{RulePhone}},
		{"uk intl", "+44 20 7946 0958", "[PHONE]", []Rule{RulePhone}},
		{"visa", "card 4111111111111111 ok", "card [CARD] ok", []Rule{RuleCard}},
		{"visa spaced", "4111 1111 1111 1111", "[CARD]", []Rule{RuleCard}},
		{"mastercard hyphens", "5500-0000-0000-0004", "[CARD]", []Rule{RuleCard}},
		{"amex", "378282246310005", "[CARD]", []Rule{RuleCard}},
		{"amex grouped", "3782 822463 10005", "[CARD]", []Rule{RuleCard}},
		{"card in path", "/v1/pay/4111111111111111?x=1", "/v1/pay/[CARD]?x=1", []Rule{RuleCard}},
		{"jwt", "got " + testJWT + " back", "got [JWT] back", []Rule{RuleJWT}},
		{"jwt unsigned", "t eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. x", "t [JWT] x", []Rule{RuleJWT}},
		{"bearer", "Authorization: Bearer sk-test-4f9a8b7c6d5e4f3a2b1c", "Authorization: Bearer [TOKEN]", []Rule{RuleBearer}},
		{"bearer jwt", "bearer " + testJWT, "bearer [TOKEN]", []Rule{RuleBearer}},
		{"aws key", "key AKIAIOSFODNN7EXAMPLE used", "key [AWS_KEY] used", []Rule{RuleAWSAccessKey}},
		{"aws session key", `"ASIAY34FZKBOKMUTVV7A"`, `"[AWS_KEY]"`, []Rule{RuleAWSAccessKey}},
		{"pem", "key=\n" + testPEM + "\nend", "key=\n[PRIVATE_KEY]\nend", []Rule{RulePrivateKey}},
		{"pem unterminated", "-----BEGIN PRIVATE KEY-----\nMIIE", "[PRIVATE_KEY]", []Rule{RulePrivateKey}},
		{"ipv4", "from 192.168.1.20:8080 ok", "from [IPV4]:8080 ok", []Rule{RuleIPv4}},
		{"ipv6", "client 2001:db8::8a2e:370:7334 connected", "client [IPV6] connected", []Rule{RuleIPv6}},
		{"ipv6 loopback", "[::1]:80", "[[IPV6]]:80", []Rule{RuleIPv6}},
		{"query", "/v1/memories/8812?token=eyJhbGciOiJIUzI1NiJ9.abc.def&page=2", "/v1/memories/8812?token=***&page=2", []Rule{RuleQuery}},
		{"query case", "https://x.io/cb?Access-Token=abc123&API_KEY=zz", "https://x.io/cb?Access-Token=***&API_KEY=***", []Rule{RuleQuery, RuleQuery}},
		{"logfmt", "user=bob password=hunter2 ok=true", "user=bob password=*** ok=true", []Rule{RuleQuery}},
		{"json pair", `{"event": "login", "password": "hunter2", "n": 1}`, `{"event": "login", "password": "***", "n": 1}`, []Rule{RuleQuery}},
		{"json pair no space", `{"api_key":"k-1"}`, `{"api_key":"***"}`, []Rule{RuleQuery}},
		{"python pair", `{'token': 'abc'}`, `{'token': '***'}`, []Rule{RuleQuery}},
		{"escaped json pair", `{\"token\": \"abc\\u0041\"}`, `{\"token\": \"***\"}`, []Rule{RuleQuery}},
		{"json pair with escape", `{"password": "a\"b"}`, `{"password": "***"}`, []Rule{RuleQuery}},
		{"mixed", "u=a@b.io&token=t1 +14155552671", "u=[EMAIL]&token=*** [PHONE]", []Rule{RuleEmail, RuleQuery, RulePhone}},
		{"basic", "Authorization: Basic dXNlcjpTRUNSRVQy", "Authorization: Basic [TOKEN]", []Rule{RuleBearer}},
		{"basic padded", "sent basic dXNlcjpwYXNzd29yZA== upstream", "sent basic [TOKEN] upstream", []Rule{RuleBearer}},
		{"short bearer in header line", "Authorization: Bearer abc", "Authorization: ***", []Rule{RuleHeader}},
		{"digest header line", `Authorization: Digest username="bob", response="6629fae4"`, "Authorization: ***", []Rule{RuleHeader}},
		{"userinfo", "dsn postgres://app:PW@db:5432/x", "dsn postgres://app:***@db:5432/x", []Rule{RuleQuery}},
		{"userinfo no user", "redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0", []Rule{RuleQuery}},
		{"userinfo raw at", "https://u:p@ss@example.com/x", "https://u:***@example.com/x", []Rule{RuleQuery}},
		{"colon pair", "login failed, password: hunter2 for bob", "login failed, password: *** for bob", []Rule{RuleQuery}},
		{"colon pair quoted value", `password: "two words"`, `password: "***"`, []Rule{RuleQuery}},
		{"logfmt quoted", `user=bob password="two words" ok=1`, `user=bob password="***" ok=1`, []Rule{RuleQuery}},
		{"logfmt escaped quotes", `{"msg": "token=\"abc\" ok"}`, `{"msg": "token=\"***\" ok"}`, []Rule{RuleQuery}},
		{"header line in text", "GET / HTTP/1.1\r\nCookie: sid=S; theme=dark\r\nHost: h", "GET / HTTP/1.1\r\nCookie: ***\r\nHost: h", []Rule{RuleHeader}},
		{"header name query", "/v1?x-api-key=ak_123&page=2", "/v1?x-api-key=***&page=2", []Rule{RuleHeader}},
		{"header name logfmt scheme", "authorization=Digest abc123 next=1", "authorization=*** next=1", []Rule{RuleHeader}},
		{"quoted header name", `{"Set-Cookie":"sid=S4"}`, `{"Set-Cookie":"***"}`, []Rule{RuleHeader}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st Stats
			got, changed := m.MaskText(tc.in, &st)
			assert.Equal(t, tc.want, got)
			assert.True(t, changed)
			var want Stats
			for _, r := range tc.rules {
				want.add(r)
			}
			assert.Equal(t, want, st)
			var st2 Stats
			again, changed2 := m.MaskText(got, &st2)
			assert.Equal(t, got, again, "idempotent")
			assert.False(t, changed2)
			assert.Zero(t, st2.Total)
		})
	}
}

// TestMaskTextNoFalsePositives is the list of things that look like PII to a
// careless regular expression but are ordinary telemetry.
func TestMaskTextNoFalsePositives(t *testing.T) {
	m := newMasker(t, nil) // defaults: no IP detection
	for _, in := range []string{
		"2026-05-08T09:12:03.412Z",
		"2026-04-13T10:30:45.123456+00:00",
		"2026-04-13 10:30:49",
		"2026-04-13 10:30:49,123 INFO started",
		"Sun, 22 Nov 2026 00:52:59 GMT",
		"05/08/2026 09:12",
		"12.05.2026",
		"550e8400-e29b-41d4-a716-446655440000",
		"123e4567-e89b-12d3-a456-426614174000",
		"4bf92f3577b34da6a3ce929d0e0e4736",
		"00f067aa0ba902b7",
		"traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"took 1500ms", "latency 12.5s", "duration=1h2m3.5s", "PT1M30S",
		"v1.2.3", "1.26.0", "10.0.19045.3803", "go1.26.0", "version 2024.10.15",
		"id 1234567890", "order 12345678901", "user 42", "request_id=825e53134e178cd1",
		"snowflake 1541815603606036480", "ts 1715158323412", "nanos 1700000000000000000",
		"epoch 1715158323.412", "pi 3.14159", "ratio 45.123", "0.5", "1,234,567.89",
		"sizes 512 1024 2048", "counts 10 20 30 40 50", "matrix 100 200 3000",
		"192.168.1.20 connected", "10.0.0.1", "::1", "fe80::1",
		"the bearer authentication scheme", "Bearer token required", "bearer of bad news",
		"AKIA is the prefix", "pkg@1.2.3", "user@localhost", "@channel", "a @ b",
		"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
		"-----BEGIN PUBLIC KEY-----",
		"eyJhbGciOiJIUzI1NiJ9", "tokens=12", "next_page_token=abc", "token_count=3", "max_tokens=100", "tokenizer=cl100k",
		"author=alice", "secretary: bob", "has_password=true", "api_key_id: ak_id_7f3a9c2e51b84d06a1e2",
		`{"token_type": "bearer"}`, `{"status": "ok"}`, "password_hint=none",
		"+00:00", "UTC+05:30", "x+1234", "1+1=2", "a-4111111111111111",
		"4111111111111112", "1234 5678 9012 3456", "-1234567890123",
		"GET /v1/chat/completions 200", "SELECT * FROM users WHERE id = 4111",
		"hmac:0123456789abcdef", "***", "[EMAIL]",
		"postgres://app@db/x", "https://example.com:8443/x", "mailto:bob", "12:30: done", "at 10:30: ok",
		"basic HTTP/1.1", "Basic auth", "basic authentication scheme", "status: ok", "key: value",
		"tokens: 12", "Cookie policy",
	} {
		var st Stats
		got, changed := m.MaskText(in, &st)
		assert.Equal(t, in, got, in)
		assert.False(t, changed, in)
		assert.Zero(t, st.Total, in)
	}
}

func TestMaskTextStarsAndHash(t *testing.T) {
	stars := newMasker(t, func(s *Settings) { s.PII.Labels = false })
	got, _ := stars.MaskText("mail a@b.io or +14155552671", new(Stats))
	assert.Equal(t, "mail *** or ***", got)

	h := newMasker(t, func(s *Settings) {
		s.PII.Action = ActionHash
		s.Query.Action = ActionHash
		s.Hash.Key = []byte("secret")
	})
	in := "mail alice@example.com token=abc and alice@example.com again"
	var st Stats
	got, changed := h.MaskText(in, &st)
	require.True(t, changed)
	assert.NotContains(t, got, "alice@example.com")
	assert.NotContains(t, got, "token=abc")
	parts := regexp.MustCompile(`hmac:[0-9a-f]{16}`).FindAllString(got, -1)
	require.Len(t, parts, 3)
	assert.Equal(t, parts[0], parts[2], "equal values hash equally")
	assert.Equal(t, uint32(3), st.Total)
	again, changed := h.MaskText(got, new(Stats))
	assert.Equal(t, got, again)
	assert.False(t, changed)
}

func TestMaskTextCustom(t *testing.T) {
	m := newMasker(t, func(s *Settings) {
		s.Custom = []CustomPattern{
			{Name: "ssn", Regexp: regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), Replacement: "[SSN]"},
			{Name: "order", Regexp: regexp.MustCompile(`ORD-[0-9]+`), Action: ActionHash},
		}
		s.Hash.Key = []byte("k")
	})
	var st Stats
	got, changed := m.MaskText("ssn 123-45-6789 for ORD-991 mail a@b.io", &st)
	require.True(t, changed)
	assert.Regexp(t, `^ssn \[SSN\] for hmac:[0-9a-f]{16} mail \[EMAIL\]$`, got)
	assert.Equal(t, uint32(1), st.Masked[RuleCustom0])
	assert.Equal(t, uint32(1), st.Masked[RuleCustom0+1])
	assert.Equal(t, uint64(1)<<RuleEmail|1<<RuleCustom0|1<<(RuleCustom0+1), st.PII)
	again, changed := m.MaskText(got, new(Stats))
	assert.Equal(t, got, again)
	assert.False(t, changed)
}

func TestMaskTextDisabled(t *testing.T) {
	m := newMasker(t, func(s *Settings) {
		s.PII.Enabled = false
		s.Query.Enabled = false
	})
	assert.False(t, m.ScansText())
	in := "a@b.io token=x 4111111111111111"
	got, changed := m.MaskText(in, new(Stats))
	assert.Equal(t, in, got)
	assert.False(t, changed)
}

func TestMaskTextLongInputs(t *testing.T) {
	m := newMasker(t, allPII)
	// Pathological inputs stay linear-ish and do not panic.
	for _, in := range []string{
		strings.Repeat("1 ", 10000), strings.Repeat("a@", 5000), strings.Repeat(":", 10000),
		strings.Repeat("eyJ.", 3000), strings.Repeat("-----BEGIN ", 1000), strings.Repeat("token=", 3000),
		strings.Repeat(`"token": `, 2000), strings.Repeat("Bearer ", 2000),
	} {
		out, _ := m.MaskText(in, new(Stats))
		again, _ := m.MaskText(out, new(Stats))
		assert.Equal(t, out, again)
	}
}

// TestMaskTextLeakShapes feeds the shapes a review found leaking; no
// "SECRET" may survive, and a second pass changes nothing.
func TestMaskTextLeakShapes(t *testing.T) {
	for name, m := range map[string]*Masker{
		"default": newMasker(t, nil),
		"hash": newMasker(t, func(s *Settings) {
			s.Query.Action, s.Headers.Action, s.PII.Action = ActionHash, ActionHash, ActionHash
			s.Hash.Key = []byte("k")
		}),
	} {
		for _, in := range []string{
			"postgres://app:SECRET@db:5432/app",
			"connect to mysql://root:SECRET-pw@10.0.0.1/x failed",
			"password: SECRET", "password=SECRET", "Password: 'SECRET'", `password="SECRET one"`,
			"Authorization: Basic U0VDUkVUOlNFQ1JFVA==",
			"curl -H 'Authorization: Basic U0VDUkVUOlNFQ1JFVA==' https://x",
			"GET / HTTP/1.1\r\nHost: h\r\nCookie: sid=SECRET; theme=dark\r\n\r\n",
			"Set-Cookie: sid=SECRET; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
			"Authorization: Bearer SECRET", "Proxy-Authorization: Basic SECRET",
			`{"Cookie":"sid=SECRET","Accept":"*/*"}`, `{\"Authorization\": \"Bearer SECRET\"}`,
			"x-api-key=SECRET&page=2", "X-Api-Key: SECRET",
		} {
			out, _ := m.MaskText(in, new(Stats))
			assert.NotContains(t, out, "SECRET", "%s: %q", name, in)
			again, changed := m.MaskText(out, new(Stats))
			assert.Equal(t, out, again, "%s: idempotent on %q", name, in)
			assert.False(t, changed, "%s: %q", name, in)
		}
	}
}
