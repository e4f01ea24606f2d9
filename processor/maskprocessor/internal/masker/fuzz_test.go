package masker

import (
	"regexp"
	"strings"
	"testing"
)

// planted are values that must never survive masking, whatever surrounds
// them (they are separated from the fuzzed text by newlines).
var planted = []string{
	"alice.smith+tag@example.co.uk",
	"+1 415 555 2671",
	"(415) 555-2671",
	"4111 1111 1111 1111",
	"5500000000000004",
	testJWT,
	"Bearer sk-test-4f9a8b7c6d5e4f3a2b1c",
	"AKIAIOSFODNN7EXAMPLE",
	testPEM,
	"192.168.1.20",
	"2001:db8::8a2e:370:7334",
	"token=plantedSecret1",
	`"password": "plantedSecret2"`,
	"postgres://app:plantedSecret3@db",
	"password: plantedSecret4",
	"Basic cGxhbnRlZDpTZWNyZXQ1",
	"Cookie: sid=plantedSecret6",
}

func fuzzMaskers(t testing.TB) []*Masker {
	return []*Masker{
		newMasker(t, allPII),
		newMasker(t, func(s *Settings) {
			allPII(s)
			s.PII.Labels = false
		}),
		newMasker(t, func(s *Settings) {
			allPII(s)
			s.PII.Action = ActionHash
			s.Query.Action = ActionHash
			s.Hash.Key = []byte("fuzz")
			s.Custom = []CustomPattern{{Name: "ssn", Regexp: regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), Action: ActionHash}}
		}),
	}
}

// FuzzMaskText checks that masking never panics, is idempotent and removes
// planted secrets. Its seed corpus runs with every `go test`.
func FuzzMaskText(f *testing.F) {
	for _, seed := range []string{
		"", "plain text", "2026-05-08T09:12:03.412Z", "a@b.co@c.com", "bob@ex.com+14155552671",
		"4111111111111111-----BEGIN PRIVATE KEY-----x", "AKIAIOSFODNN7EXAMPLE-----BEGIN PRIVATE KEY-----",
		"x=1&token=a=b&api_key=", `{"token": "\"x\""}`, `{\"token\": \"abc\"}`, "::ffff:192.168.1.1",
		"eyJa.eyJb.c.d.e", "Bearer hmac:0123456789abcdef", "hmac:0123456789abcdef4111111111111111",
		"123-45-6789", "tel:+44 20 7946 0958.", "[::1]:80", "a@b.cd1@e.fg",
		"postgres://app:pw@db", "https://u:p@ss@h/x", "password: x", `password="a b"`, "Cookie: a=1; b=2\r\nHost: h",
		"Authorization: Basic dXNlcjpwYXNz", "Authorization: Bearer [TOKEN]", `Authorization: Digest r="x"`,
		`{"Set-Cookie":"sid=1"}`, `token=\"x\"`, "x-api-key=k&a=1", "authorization=Basic x y",
	} {
		f.Add(seed, "suffix", uint8(len(seed)))
	}
	maskers := fuzzMaskers(f)
	f.Fuzz(func(t *testing.T, a, b string, pick uint8) {
		for mi, m := range maskers {
			for _, in := range []string{a, a + b} {
				once, _ := m.MaskText(in, new(Stats))
				twice, changed := m.MaskText(once, new(Stats))
				if twice != once || changed {
					t.Fatalf("masker %d not idempotent on %q:\nonce  %q\ntwice %q", mi, in, once, twice)
				}
			}
			p := planted[int(pick)%len(planted)]
			in := a + "\n" + p + "\n" + b
			if strings.Contains(a, p) || strings.Contains(b, p) {
				continue
			}
			out, _ := m.MaskText(in, new(Stats))
			if strings.Contains(out, p) {
				t.Fatalf("masker %d left %q in %q", mi, p, out)
			}
		}
	})
}

// FuzzMaskHeaderLine checks that header-line masking never panics, is
// idempotent, and leaves no value of a sensitive header line.
func FuzzMaskHeaderLine(f *testing.F) {
	for _, seed := range []string{
		"", "Cookie: a=1", "GET / HTTP/1.1\r\nHost: h\r\nCookie: sid=1\r\n\r\n", "x-api-key:k\nAccept: */*",
		"Authorization:\r\n", ":\n:", "Set-Cookie: ***\nCookie:  b ",
	} {
		f.Add(seed)
	}
	m := newMasker(f, nil)
	f.Fuzz(func(t *testing.T, s string) {
		once, _ := m.MaskHeaderLine(s)
		twice, n := m.MaskHeaderLine(once)
		if twice != once || n != 0 {
			t.Fatalf("not idempotent on %q:\nonce  %q\ntwice %q", s, once, twice)
		}
		in := s + "\nCookie: sid=plantedSecret7\n" + s
		if out, _ := m.MaskHeaderLine(in); strings.Contains(out, "plantedSecret7") && !strings.Contains(s, "plantedSecret7") {
			t.Fatalf("left the cookie in %q", out)
		}
	})
}
