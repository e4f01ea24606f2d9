package masker

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redline-otel/redline/internal/keymatch"
)

// spellings writes a canonical name (words joined by '_') in every case style
// services use.
func spellings(canon string) map[string]string {
	words := strings.Split(canon, "_")
	title := func(w string) string { return strings.ToUpper(w[:1]) + w[1:] }
	var camel, pascal strings.Builder
	titled := make([]string, len(words))
	for i, w := range words {
		if i == 0 {
			camel.WriteString(w)
		} else {
			camel.WriteString(title(w))
		}
		pascal.WriteString(title(w))
		titled[i] = title(w)
	}
	return map[string]string{
		"snake":  canon,
		"kebab":  strings.Join(words, "-"),
		"camel":  camel.String(),
		"pascal": pascal.String(),
		"upper":  strings.ToUpper(canon),
		"dotted": strings.Join(words, "."),
		"train":  strings.Join(titled, "-"),
		"spaced": strings.Join(words, " "),
	}
}

func TestVocabularyEverySpelling(t *testing.T) {
	m := newMasker(t, nil)
	for _, v := range SecretVocabulary {
		forms := []string{v.Phrase}
		if v.Plural {
			forms = append(forms, v.Phrase+"s")
		}
		for _, form := range forms {
			for style, key := range spellings(form) {
				for _, k := range []string{key, "my_" + key, "upstream." + key, "db-" + key + "2"} {
					kind, pii := m.ClassifyPII(k)
					assert.Equal(t, KeySecret, kind, "%s (%s)", k, style)
					assert.Equal(t, v.PII != "", pii != 0, "%s: PII", k)
				}
			}
		}
	}
}

func TestVocabularyCoversSeedNames(t *testing.T) {
	m := newMasker(t, nil)
	for _, k := range SeedSecretKeys {
		assert.Equal(t, KeySecret, m.Classify(k), k)
	}
	for _, k := range DefaultIdentifierKeys {
		assert.Equal(t, KeyIdentifier, m.Classify(k), k)
	}
}

// TestVocabularyNames is the table of names that real services write: the
// ones that are secrets, whatever the spelling, and the near misses that
// only contain such a word.
func TestVocabularyNames(t *testing.T) {
	m := newMasker(t, nil)
	for _, tc := range []struct {
		key  string
		want KeyKind
		pii  KeyPII
	}{
		// Credentials, as frameworks and SDKs name them.
		{"secret", KeySecret, 0},
		{"Secret", KeySecret, 0},
		{"clientSecret", KeySecret, 0},
		{"CLIENT_SECRET", KeySecret, 0},
		{"client.secret", KeySecret, 0},
		{"client-secret", KeySecret, 0},
		{"apiKey", KeySecret, 0},
		{"APIKey", KeySecret, 0},
		{"APIKEY", KeySecret, 0},
		{"x-apikey", KeySecret, 0},
		{"accessToken", KeySecret, 0},
		{"refreshToken", KeySecret, 0},
		{"id_token", KeySecret, 0},
		{"IDToken", KeySecret, 0},
		{"pwd", KeySecret, 0},
		{"userPassword", KeySecret, 0},
		{"DB_PASSWORD", KeySecret, 0},
		{"password2", KeySecret, 0},
		{"privateKey", KeySecret, 0},
		{"credentials", KeySecret, 0},
		{"aws_creds", KeySecret, 0},
		{"auth_token", KeySecret, 0},
		{"session_token", KeySecret, 0},
		{"x-auth-token", KeySecret, 0},
		{"HTTPAuthToken", KeySecret, 0},
		{"oauth2Token", KeySecret, 0},
		{"github_token", KeySecret, 0},
		{"aws_secret_access_key", KeySecret, 0},
		{"secretAccessKey", KeySecret, 0},
		{"connection_string", KeySecret, 0},
		{"ConnectionStrings", KeySecret, 0},
		{"sentry_dsn", KeySecret, 0},
		{"webhook_secret", KeySecret, 0},
		{"signingSecret", KeySecret, 0},
		{"encryption_key", KeySecret, 0},
		{"masterKey", KeySecret, 0},
		{"SECRET_KEY_BASE", KeySecret, 0},
		{"password_hash", KeySecret, 0},
		{"passwordConfirmation", KeySecret, 0},
		{"private_key_pem_base64", KeySecret, 0},
		{"credential_json", KeySecret, 0},
		{"access_tokens", KeySecret, 0},
		{"api_keys", KeySecret, 0},
		{"sessionId", KeySecret, 0},
		{"JSESSIONID", KeySecret, 0},
		{"x-hub-signature-256", KeySecret, 0},
		{"cvv", KeySecret, KeyPIICard},
		{"cvv2", KeySecret, KeyPIICard},
		{"card_number", KeySecret, KeyPIICard},
		{"creditCardNumber", KeySecret, KeyPIICard},
		{"pan", KeySecret, KeyPIICard},
		{"ssn", KeySecret, KeyPIISSN},
		{"customer.ssn", KeySecret, KeyPIISSN},
		// Sensitive headers, as names ending with one (rule header).
		{"Authorization", KeySensitiveHeader, 0},
		{"HTTP_AUTHORIZATION", KeySensitiveHeader, 0},
		{"session_cookie", KeySensitiveHeader, 0},
		{"cookies", KeySensitiveHeader, 0},
		{"setCookie", KeySensitiveHeader, 0},
		{"X-Api-Key", KeySensitiveHeader, 0},
		// Identifiers: a secret's id is truncated, not starred.
		{"api_key_id", KeyIdentifier, 0},
		{"apiKeyId", KeyIdentifier, 0},
		{"token_id", KeyIdentifier, 0},
		{"private_key_id", KeyIdentifier, 0},
		{"secret_ids", KeyIdentifier, 0},
		{"peer", KeyIdentifier, 0},
		{"nodeId", KeyIdentifier, 0},
		// Near misses: a word of the vocabulary inside another name.
		{"input_tokens", KeyPlain, 0},
		{"output_tokens", KeyPlain, 0},
		{"max_tokens", KeyPlain, 0},
		{"total_tokens", KeyPlain, 0},
		{"prompt_tokens", KeyPlain, 0},
		{"completionTokens", KeyPlain, 0},
		{"tokens", KeyPlain, 0},
		{"token_count", KeyPlain, 0},
		{"tokenizer", KeyPlain, 0},
		{"token_type", KeyPlain, 0},
		{"tokens_per_second", KeyPlain, 0},
		{"time_to_first_token_ms", KeyPlain, 0},
		{"next_page_token", KeyPlain, 0},
		{"pageToken", KeyPlain, 0},
		{"eos_token", KeyPlain, 0},
		{"eos_token_id", KeyPlain, 0},
		{"author", KeyPlain, 0},
		{"authority", KeyPlain, 0},
		{"auth", KeyPlain, 0},
		{"auth_method", KeyPlain, 0},
		{"keyboard", KeyPlain, 0},
		{"monkey", KeyPlain, 0},
		{"key", KeyPlain, 0},
		{"cache_key", KeyPlain, 0},
		{"public_key", KeyPlain, 0},
		{"partitionKey", KeyPlain, 0},
		{"s3_key", KeyPlain, 0},
		{"session_count", KeyPlain, 0},
		{"session", KeyPlain, 0},
		{"secretary", KeyPlain, 0},
		{"secret_name", KeyPlain, 0},
		{"secretRef", KeyPlain, 0},
		{"password_last_changed_at", KeyPlain, 0},
		{"password_hint", KeyPlain, 0},
		{"passwordPolicy", KeyPlain, 0},
		{"has_password", KeyPlain, 0},
		{"isSecret", KeyPlain, 0},
		{"withCredentials", KeyPlain, 0},
		{"Access-Control-Allow-Credentials", KeyPlain, 0},
		{"require_api_key", KeyPlain, 0},
		{"cookie_consent", KeyPlain, 0},
		{"accept_cookies", KeyPlain, 0},
		{"signature_algorithm", KeyPlain, 0},
		{"card_type", KeyPlain, 0},
		{"compass", KeyPlain, 0},
		{"bypass", KeyPlain, 0},
		{"spanish", KeyPlain, 0},
		{"company", KeyPlain, 0},
		{"request_id", KeyPlain, 0},
		{"client_id", KeyPlain, 0},
		{"http.request.method", KeyPlain, 0},
		{"", KeyPlain, 0},
		{"42", KeyPlain, 0},
	} {
		kind, pii := m.ClassifyPII(tc.key)
		assert.Equal(t, tc.want, kind, tc.key)
		assert.Equal(t, tc.pii, pii, tc.key)
	}
}

// TestClassifyOverrides: keep_keys win over everything, configured names
// over the vocabulary, and default_keys false leaves only configured names.
func TestClassifyOverrides(t *testing.T) {
	m := newMasker(t, func(s *Settings) {
		s.KeepKeys = []string{"token", "session-id", "http.request.header.cookie", "cookie"}
		s.Secrets.Keys = []string{"db_pass", "api_key_id"}
		s.Identifiers.Keys = []string{"user.id", "sessionToken"}
	})
	for _, tc := range []struct {
		key  string
		want KeyKind
	}{
		{"token", KeyPlain},
		{"TOKEN", KeyPlain},
		{"sessionId", KeyPlain},
		{"access_token", KeySecret}, // only the kept name itself
		{"DbPass", KeySecret},
		{"api_key_id", KeySecret},        // configured secret over the vocabulary's identifier
		{"session_token", KeyIdentifier}, // configured identifier over the vocabulary's secret
		{"userId", KeyIdentifier},
		{"http.request.header.cookie", KeyPlain},
		{"Cookie", KeyPlain},
		{"set-cookie", KeySensitiveHeader},
	} {
		assert.Equal(t, tc.want, m.Classify(tc.key), tc.key)
	}
	assert.Equal(t, KeyPlain, m.ClassifyHeader("cookie"), "kept in header maps too")
	assert.False(t, m.IsHeaderName("Cookie"))
	got, _ := m.MaskText("token=abc&db_pass=x&Cookie: sid=1", new(Stats))
	assert.Equal(t, "token=abc&db_pass=***&Cookie: sid=1", got)

	digits := newMasker(t, func(s *Settings) { s.Headers.Names = append(s.Headers.Names, "X-B3-Token-2") })
	assert.Equal(t, KeySensitiveHeader, digits.Classify("upstream.x-b3-token-2"), "header names with digit words")
	assert.Equal(t, KeySensitiveHeader, digits.Classify("xB3Token"))

	own := newMasker(t, func(s *Settings) {
		s.DefaultKeys = false
		s.Secrets.Keys = []string{"db_pass"}
		s.Identifiers.Keys = []string{"user_id"}
	})
	for _, tc := range []struct {
		key  string
		want KeyKind
	}{
		{"dbPass", KeySecret},
		{"password", KeyPlain},
		{"clientSecret", KeyPlain},
		{"api_key_id", KeyPlain},
		{"peer", KeyPlain},
		{"USER_ID", KeyIdentifier},
		{"authorization", KeySensitiveHeader}, // header names are not part of the defaults
	} {
		assert.Equal(t, tc.want, own.Classify(tc.key), tc.key)
	}
	got, _ = own.MaskText("password=a db_pass=b", new(Stats))
	assert.Equal(t, "password=a db_pass=***", got)
}

// TestNamesInText: the query rule sees names in text the same way.
func TestNamesInText(t *testing.T) {
	m := newMasker(t, nil)
	for _, tc := range []struct{ in, want string }{
		{"https://x.io/cb?clientSecret=abc&accessToken=def&page=2", "https://x.io/cb?clientSecret=***&accessToken=***&page=2"},
		{"max_tokens=512 input_tokens=12 token=t0k", "max_tokens=512 input_tokens=12 token=***"},
		{`{"apiKey": "k-1", "api_key_id": "ak_id_7f3a9c2e51b84d06a1e2"}`, `{"apiKey": "***", "api_key_id": "ak_id_7f3a9c2e51b84d06a1e2"}`},
		{"AccountName=prod;AccountKey=abc==;EndpointSuffix=core", "AccountName=prod;AccountKey=***;EndpointSuffix=core"},
		{"Session ID: s-42 ok", "Session ID: s-42 ok"}, // "Session ID" has a space: the name is ID
		{"sessionId: s-42 ok", "sessionId: *** ok"},
		{"card_number=4111111111111111 cvv=737", "card_number=*** cvv=***"},
	} {
		var st Stats
		got, _ := m.MaskText(tc.in, &st)
		assert.Equal(t, tc.want, got, tc.in)
	}
	var st Stats
	_, _ = m.MaskText("card_number=4111111111111111 ssn=078-05-1120", &st)
	assert.Equal(t, KeyPIICard|KeyPIISSN, st.KeyPII)
	assert.Zero(t, st.PII, "masked by name, not by a detector")
}

// TestKeyFilterIsSound: the last-word filter never rejects a key that the
// full classification would match, for the vocabulary in every spelling and
// the configured names.
func TestKeyFilterIsSound(t *testing.T) {
	m := newMasker(t, func(s *Settings) {
		s.Secrets.Keys = []string{"db_pass", "42", "x9"}
		s.KeepKeys = []string{"keepMe"}
	})
	var keys []string
	for _, v := range SecretVocabulary {
		for _, sp := range spellings(v.Phrase + "_hash_id") {
			keys = append(keys, sp, sp+"s")
		}
		for _, sp := range spellings(v.Phrase) {
			keys = append(keys, sp, sp+"s", sp+"_value", sp+"_id", sp+"_2")
		}
	}
	keys = append(keys, "42", "x9", "X_9", "dbPass", "keep-me", "Cookie", "http.request.header.cookie")
	for _, k := range keys {
		c := m.names.compute(k)
		if c != 0 {
			assert.True(t, m.names.keyFilter.mayMatch(k), "key filter rejects %q (class %b)", k, c)
		}
		if c&(clsSecret|clsVocabSecret|clsHeaderName) != 0 {
			assert.True(t, m.names.textFilter.mayMatch(k), "text filter rejects %q (class %b)", k, c)
		}
	}
}

func TestClassifyCache(t *testing.T) {
	m := newMasker(t, nil)
	assert.Equal(t, KeySecret, m.Classify("clientSecret"))
	assert.Equal(t, 1, m.cache.len())
	assert.Equal(t, KeySecret, m.Classify("clientSecret"))
	assert.Equal(t, 1, m.cache.len(), "a hit adds nothing")
	assert.Equal(t, KeyPlain, m.Classify("http.request.method"))
	assert.Equal(t, 1, m.cache.len(), "keys the filter rejects are not cached")

	// Bounded: far more distinct keys than slots.
	for i := range 3 * cacheSlots {
		_ = m.Classify("k" + strings.Repeat("x", i%50) + "_" + string(rune('a'+i%26)) + "_token" + strings.Repeat("y", i/50))
	}
	assert.LessOrEqual(t, m.cache.len(), cacheSlots)
	long := strings.Repeat("a_", 100) + "password"
	assert.Equal(t, KeySecret, m.Classify(long))
	_, hit := m.cache.get(long)
	assert.False(t, hit, "keys longer than maxCachedKey are not cached")

	allocs := testing.AllocsPerRun(200, func() {
		_ = m.Classify("clientSecret")
		_ = m.Classify("request_id")
		_ = m.Classify("http.request.method")
	})
	assert.Zero(t, allocs, "a cache hit does not allocate")
	assert.Zero(t, testing.AllocsPerRun(50, func() { _ = m.names.compute("Some-Rather_LongKeyName.with.parts_password") }),
		"classification itself does not allocate")
}

func TestClassifyConcurrent(t *testing.T) {
	m := newMasker(t, nil)
	keys := []string{"clientSecret", "max_tokens", "api_key_id", "Authorization", "peer", "tokenizer"}
	want := make([]KeyKind, len(keys))
	for i, k := range keys {
		want[i] = newMasker(t, nil).Classify(k)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				j := (i + g) % len(keys)
				if got := m.Classify(keys[j]); got != want[j] {
					t.Errorf("%s: got %d want %d", keys[j], got, want[j])
					return
				}
				_ = m.Classify(keys[j] + string(rune('a'+i%26)))
			}
		})
	}
	wg.Wait()
}

// FuzzClassifyKey checks, for any key, that the filtered and cached
// classification equals the full one, that the filters never reject a key
// the full classification matches, and that a key is classified as its
// canonical spelling is.
func FuzzClassifyKey(f *testing.F) {
	for _, seed := range []string{
		"", "clientSecret", "max_tokens", "api_key_id", "has_password", "http.request.header.cookie",
		"HTTP_AUTHORIZATION", "next_page_token", "password_hash_id", "cvv2", "x-auth-token", "APIKeys",
		"access_control_allow_credentials", "secret_key_base", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.A.B.C.D.E.F.G.token",
	} {
		f.Add(seed)
	}
	m := newMasker(f, func(s *Settings) { s.KeepKeys = []string{"keep_me"}; s.Secrets.Keys = []string{"db_pass"} })
	fresh := newMasker(f, func(s *Settings) { s.KeepKeys = []string{"keep_me"}; s.Secrets.Keys = []string{"db_pass"} })
	f.Fuzz(func(t *testing.T, key string) {
		checkSlot(t, key)
		c := m.names.compute(key)
		if c != 0 && !m.names.keyFilter.mayMatch(key) {
			t.Fatalf("key filter rejects %q of class %b", key, c)
		}
		if c&(clsSecret|clsVocabSecret|clsHeaderName) != 0 && !m.names.textFilter.mayMatch(key) {
			t.Fatalf("text filter rejects %q of class %b", key, c)
		}
		k1, p1 := m.ClassifyPII(key)
		k2, p2 := m.ClassifyPII(key) // cached now
		if k1 != k2 || p1 != p2 {
			t.Fatalf("%q: %d/%d then %d/%d", key, k1, p1, k2, p2)
		}
		if k3, _ := fresh.ClassifyPII(key); k3 != k1 {
			t.Fatalf("%q: %d with a warm cache, %d with a cold one", key, k1, k3)
		}
		if canon := keymatch.Canonical(key); canon != "" {
			require.Equal(t, k1, fresh.Classify(canon), "%q spelt %q", key, canon)
		}
	})
}

// exactSlot is slotOf by the exact word split only.
func exactSlot(key string) (uint, bool) {
	s, e := filterWord(key)
	if s == e {
		return 0, false
	}
	return wordSlot(e-s, keymatch.FoldByte(key[s]), keymatch.FoldByte(key[e-1])), true
}

// checkSlot: the filter's shortcuts give the exact split's answer, whatever
// the spelling, and lowerRun counts what a byte loop counts.
func checkSlot(t *testing.T, key string) {
	t.Helper()
	got, ok := slotOf(key)
	want, wantOK := exactSlot(key)
	if got != want || ok != wantOK {
		t.Fatalf("slotOf(%q) = %d, %v; exact split %d, %v", key, got, ok, want, wantOK)
	}
	if canon := keymatch.Canonical(key); canon != "" {
		if c, _ := slotOf(canon); c != got {
			t.Fatalf("slotOf(%q) = %d but slotOf(%q) = %d", key, got, canon, c)
		}
	}
	n := 0
	for i := len(key) - 1; i >= 0 && key[i] >= 'a' && key[i] <= 'z'; i-- {
		n++
	}
	if r := lowerRun(key); r != n {
		t.Fatalf("lowerRun(%q) = %d, want %d", key, r, n)
	}
	// The first level: when it answers, it answers for the filter word.
	if q, ok := quickSlot(key); ok {
		s, e := filterWord(key)
		want, wantOK := quickWord(strings.ToLower(key[s:e]))
		if !wantOK || q != want {
			t.Fatalf("quickSlot(%q) = %d, but the filter word %q gives %d, %v", key, q, key[s:e], want, wantOK)
		}
	}
}

func TestFilterShortcuts(t *testing.T) {
	for _, key := range []string{
		"", "a", "id", "ids", "_id", "request_id", "requestId", "requestIds", "request-ids", "REQUEST_ID", "userIDs",
		"node_2_id", "id_id", "session_id_id", "clientSecret", "CLIENT_SECRET", "client.secret", "ApiKey", "APIKey",
		"http.response.status_code", "abcdefghijklmnopqrstuvwxyz", "xYzabcdefghijklmnop", "\xff\xfeabc", "é_token",
		"tokené", "Ids", "xIds", "a1b", "A", "aB", "Ab", "password2", "x-auth-token", "sessionid", "JSESSIONID",
		"12345678abcdefgh", "abcdefg\x80abcdefgh", "zzzzzzzz{zzzzzzz", "````````aaaaaaaa",
	} {
		checkSlot(t, key)
	}
	// every byte value just before and inside a run of eight
	for c := range 256 {
		for _, key := range []string{string([]byte{byte(c)}) + "abcdefgh", "abcdefg" + string([]byte{byte(c)}), "ab" + string([]byte{byte(c)}) + "defghijk"} {
			checkSlot(t, key)
		}
	}
}
