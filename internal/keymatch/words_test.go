package keymatch

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"client_secret", "client_secret"},
		{"clientSecret", "client_secret"},
		{"ClientSecret", "client_secret"},
		{"client-secret", "client_secret"},
		{"CLIENT_SECRET", "client_secret"},
		{"client.secret", "client_secret"},
		{"Client Secret", "client_secret"},
		{"x-auth-token", "x_auth_token"},
		{"X-API-Key", "x_api_key"},
		{"APIKey", "api_key"},
		{"apiKey", "api_key"},
		{"APIKEY", "apikey"},
		{"HTTPAuthToken", "http_auth_token"},
		{"IDToken", "id_token"},
		{"userIDs", "user_ids"},
		{"JSESSIONID", "jsessionid"},
		{"oauth2Token", "oauth_2_token"},
		{"cvv2", "cvv_2"},
		{"ipv4_address", "ipv_4_address"},
		{"2FA", "2_fa"},
		{"http.request.header.x-api-key", "http_request_header_x_api_key"},
		{"__double__sep--", "double_sep"},
		{"a", "a"},
		{"A", "a"},
		{"aB", "a_b"},
		{"AB", "ab"},
		{"ABc", "a_bc"},
		{"extra[password]", "extra_password"},
		{"pässWord", "päss_word"},
		{"ÄB", "Ä_b"}, // the bytes of Ä count as lower case, never folded: a capital after them starts a word
		{"APIs", "apis"},
		{"URLsCount", "urls_count"},
		{"HTTPSender", "http_sender"},
		{"AWSSecret", "aws_secret"},
		{"IDsx", "i_dsx"},
		{"", ""},
		{"---", ""},
		{"42", "42"},
	} {
		assert.Equal(t, tc.want, Canonical(tc.key), tc.key)
		assert.Equal(t, tc.want, refCanonical(tc.key), "reference: %s", tc.key)
	}
}

func TestLastWord(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"clientSecret", "Secret"},
		{"client_secret", "secret"},
		{"HTTPAuthToken", "Token"},
		{"APIKey", "Key"},
		{"userID", "ID"},
		{"userIDs", "IDs"},
		{"cvv2", "cvv"},
		{"password_2", "password"},
		{"token--", "token"},
		{"JSESSIONID", "JSESSIONID"},
		{"2FA", "FA"},
		{"ABc", "Bc"},
		{"12", ""},
		{"", ""},
		{"._-", ""},
	} {
		s, e := LastWord(tc.key)
		assert.Equal(t, tc.want, tc.key[s:e], tc.key)
	}
}

func TestCanonicalDoesNotAllocate(t *testing.T) {
	var buf [64]byte
	allocs := testing.AllocsPerRun(100, func() {
		_ = AppendCanonical(buf[:0], "HTTPAuthToken")
		_, _ = LastWord("x-auth-token")
	})
	assert.Zero(t, allocs)
}

// refCanonical is a second, plainer implementation of the splitting rules:
// cut at separators, then between digits and letters, then at case changes.
func refCanonical(key string) string {
	isLetter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 }
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isUpper := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	var words []string
	var chunk []byte
	flushRun := func(run []byte) {
		if len(run) == 0 {
			return
		}
		if isDigit(run[0]) {
			words = append(words, string(run))
			return
		}
		from := 0
		for i := 1; i < len(run); i++ {
			lowerBefore := !isUpper(run[i-1])
			upperBefore := isUpper(run[i-1])
			lowerAfter := i+1 < len(run) && !isUpper(run[i+1])
			plural := lowerAfter && run[i+1] == 's' && (i+2 == len(run) || isUpper(run[i+2]))
			if isUpper(run[i]) && (lowerBefore || upperBefore && lowerAfter && !plural) {
				words = append(words, lowerASCII(run[from:i]))
				from = i
			}
		}
		words = append(words, lowerASCII(run[from:]))
	}
	flushChunk := func() {
		from := 0
		for i := 1; i < len(chunk); i++ {
			if isDigit(chunk[i]) != isDigit(chunk[i-1]) {
				flushRun(chunk[from:i])
				from = i
			}
		}
		flushRun(chunk[from:])
		chunk = chunk[:0]
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; isLetter(c) || isDigit(c) {
			chunk = append(chunk, c)
			continue
		}
		flushChunk()
	}
	flushChunk()
	return strings.Join(words, "_")
}

func lowerASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// FuzzSplitWords checks the byte-level splitter against the reference, and
// its invariants: only lower-case ASCII, digits, '_' and non-ASCII bytes
// come out; no empty word; the canonical form is its own canonical form;
// LastWord finds the last word of letters.
func FuzzSplitWords(f *testing.F) {
	for _, seed := range []string{
		"", "clientSecret", "CLIENT_SECRET", "client.secret", "x-auth-token", "HTTPAuthToken", "APIKey",
		"JSESSIONID", "oauth2Token", "cvv2", "userIDs", "pässWord", "ÄB", "\xff\xfeA", "a__b..c--d", "2FA",
		"http.request.header.set-cookie", "aws_secret_access_key", "secretAccessKey", "AbCdEfGH1jK", " A ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		got := Canonical(key)
		if want := refCanonical(key); got != want {
			t.Fatalf("Canonical(%q) = %q, reference %q", key, got, want)
		}
		if again := Canonical(got); again != got {
			t.Fatalf("Canonical(%q) = %q is not canonical: %q", key, got, again)
		}
		if len(got) > CanonicalLen(key) {
			t.Fatalf("Canonical(%q) = %q is longer than CanonicalLen", key, got)
		}
		if strings.HasPrefix(got, "_") || strings.HasSuffix(got, "_") || strings.Contains(got, "__") {
			t.Fatalf("Canonical(%q) = %q has an empty word", key, got)
		}
		for i := 0; i < len(got); i++ {
			c := got[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80) {
				t.Fatalf("Canonical(%q) = %q has byte %q", key, got, c)
			}
		}
		lastLetters := ""
		words := strings.Split(got, "_")
		for i := len(words) - 1; i >= 0; i-- {
			if w := words[i]; w != "" && (w[0] < '0' || w[0] > '9') {
				lastLetters = w
				break
			}
		}
		s, e := LastWord(key)
		if w := Canonical(key[s:e]); w != lastLetters || s > e {
			t.Fatalf("LastWord(%q) = %q, want the last word of letters %q", key, key[s:e], lastLetters)
		}
	})
}

func BenchmarkAppendCanonical(b *testing.B) {
	var buf [128]byte
	b.ReportAllocs()
	for b.Loop() {
		_ = AppendCanonical(buf[:0], "http.request.header.X-Api-Key")
	}
}

func BenchmarkLastWord(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = LastWord("http.response.status_code")
	}
}
