package masker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/redline-otel/redline/internal/keymatch"
)

// Redacted replaces secret values, sensitive headers, query secrets and
// identifiers too short to truncate.
const Redacted = "***"

// Action is what a rule does with a matched value.
type Action uint8

const (
	// ActionRedact replaces the value with "***" or a PII label.
	ActionRedact Action = iota
	// ActionHash replaces the value with a keyed HMAC-SHA256 digest, so equal
	// values stay equal (joinable) without being readable.
	ActionHash
)

// KeyKind is how a key's value is treated.
type KeyKind uint8

const (
	// KeyPlain values are walked and their strings scanned as free text.
	KeyPlain KeyKind = iota
	// KeySecret values are replaced whatever their type.
	KeySecret
	// KeyIdentifier values are truncated.
	KeyIdentifier
	// KeyHeaderMap values are maps of HTTP headers.
	KeyHeaderMap
	// KeySensitiveHeader values (a sensitive header inside a header map, or a
	// key shaped http.request.header.<sensitive name>) are replaced.
	KeySensitiveHeader
)

// Settings configure a Masker. They are plain values; the adapter builds them
// from the component configuration.
type Settings struct {
	// DefaultKeys adds the default vocabulary (vocabulary.go) to the
	// secret and identifier keys.
	DefaultKeys bool
	// KeepKeys are names never masked by name, whatever rule or vocabulary
	// word they match; their strings are still scanned as free text.
	KeepKeys    []string
	Secrets     KeyRule
	Identifiers IdentifierRule
	Headers     HeaderRule
	Query       TextRule
	PII         PIIRule
	Custom      []CustomPattern
	Hash        HashSettings
}

// KeyRule masks the values of the listed keys (whole names, in any
// spelling) and, with Settings.DefaultKeys, of keys the vocabulary names.
type KeyRule struct {
	Enabled bool
	Keys    []string
	Action  Action
}

// IdentifierRule truncates the values of the listed keys (and, with
// Settings.DefaultKeys, the seed's identifier names and secret names followed
// by "id") to KeepPrefix characters, "..." and KeepSuffix characters. Values
// shorter than MinLength become "***".
type IdentifierRule struct {
	Enabled    bool
	Keys       []string
	KeepPrefix int
	KeepSuffix int
	MinLength  int
}

// HeaderRule masks sensitive headers in header maps.
type HeaderRule struct {
	Enabled bool
	// MapKeys name attributes whose value is a map of headers.
	MapKeys []string
	// KeyPrefixes name flattened header attributes, such as
	// "http.request.header." for "http.request.header.authorization".
	KeyPrefixes []string
	// Names are the sensitive header names. A key whose words end with one
	// (session_cookie, HTTP_AUTHORIZATION) is one too.
	Names []string
	// Anywhere treats the sensitive header names as secret keys outside
	// header maps too: an attribute `authorization` or `cookie` at any
	// depth and, with the query rule on, `Cookie: ...` or `x-api-key=...`
	// in free text.
	Anywhere bool
	Action   Action
}

// TextRule switches a free-text rule on or off.
type TextRule struct {
	Enabled bool
	Action  Action
}

// PIIRule configures the PII detectors.
type PIIRule struct {
	Enabled bool
	// Types are names from PIITypes.
	Types  []string
	Action Action
	// Labels replaces redacted matches with "[EMAIL]", "[PHONE]"... instead
	// of "***".
	Labels bool
}

// CustomPattern is a user regular expression whose matches are masked.
type CustomPattern struct {
	Name        string
	Regexp      *regexp.Regexp
	Replacement string
	Action      Action
}

// HashSettings configure ActionHash output: Prefix followed by the first
// Length hex characters of HMAC-SHA256(Key, value).
type HashSettings struct {
	Key    []byte
	Prefix string
	Length int
}

// Masker applies Settings. It is safe for concurrent use.
type Masker struct {
	settings Settings

	names nameIndex   // every configured name and vocabulary phrase
	cache *classCache // names' classes, per distinct key

	secretsOn   bool // the secret rule is on
	identOn     bool // the identifier rule is on
	headersOn   bool // the header rule is on
	anywhere    bool // header names are secret keys at any depth
	textSecrets bool // the query rule masks secrets named in text
	// textHeaders: header names are also names in text (HeaderRule.Anywhere
	// with the query rule on).
	textHeaders bool
	textOn      bool         // some name in text is masked
	headerNames keymatch.Set // exact header names, for flattened header keys
	prefixes    []string
	prefixFirst [256]bool // first bytes of header key prefixes, to skip HasPrefix

	trig     [256]uint16 // scanner trigger bits per byte
	trigAny  bool
	piiOn    uint64 // bit per enabled PII rule
	hashing  bool   // some rule hashes: hash outputs must be recognised
	hmacPool sync.Pool
	custom   []CustomPattern
}

// Errors returned by New. The adapter validates configuration first, so
// these mostly guard direct users of the package.
var (
	errHashKey    = errors.New("hash action needs a non-empty key")
	errHashLength = errors.New("hash length must be between 8 and 64")
	errHashPrefix = errors.New("hash prefix must be non-empty and contain no hex digit at its end")
)

// New checks s and builds a Masker.
func New(s Settings) (*Masker, error) {
	m := &Masker{settings: s, custom: s.Custom}
	if s.Secrets.Enabled && s.Secrets.Action == ActionHash ||
		s.Headers.Enabled && s.Headers.Action == ActionHash ||
		s.Query.Enabled && s.Query.Action == ActionHash ||
		s.PII.Enabled && s.PII.Action == ActionHash {
		m.hashing = true
	}
	for _, c := range s.Custom {
		if c.Action == ActionHash {
			m.hashing = true
		}
	}
	if m.hashing {
		if len(s.Hash.Key) == 0 {
			return nil, errHashKey
		}
		if s.Hash.Length < 8 || s.Hash.Length > 64 {
			return nil, errHashLength
		}
		if s.Hash.Prefix == "" || isHex(s.Hash.Prefix[len(s.Hash.Prefix)-1]) {
			return nil, errHashPrefix
		}
		key := append([]byte(nil), s.Hash.Key...)
		m.hmacPool.New = func() any { return hmac.New(sha256.New, key) }
	}
	if len(s.Custom) > MaxCustomPatterns {
		return nil, fmt.Errorf("at most %d custom patterns are supported", MaxCustomPatterns)
	}
	for i, c := range s.Custom {
		if c.Regexp == nil {
			return nil, fmt.Errorf("custom pattern %d has no regular expression", i)
		}
	}
	if s.Identifiers.Enabled {
		id := s.Identifiers
		if id.KeepPrefix < 0 || id.KeepSuffix < 0 || id.MinLength <= id.KeepPrefix+id.KeepSuffix+3 {
			return nil, errors.New("identifier min length must exceed keep prefix + keep suffix + 3")
		}
	}

	m.names = buildNames(s)
	m.cache = new(classCache)
	m.cache.init()
	m.secretsOn = s.Secrets.Enabled
	m.identOn = s.Identifiers.Enabled
	if s.Headers.Enabled {
		m.headersOn = true
		m.anywhere = s.Headers.Anywhere
		m.headerNames = keymatch.NewSet(s.Headers.Names...)
		m.prefixes = s.Headers.KeyPrefixes
		for _, p := range m.prefixes {
			if p == "" {
				continue
			}
			c := p[0]
			m.prefixFirst[c] = true
			if c >= 'a' && c <= 'z' {
				m.prefixFirst[c-'a'+'A'] = true
			} else if c >= 'A' && c <= 'Z' {
				m.prefixFirst[c-'A'+'a'] = true
			}
		}
	}
	// The query rule uses the secret names even when the key rule is off.
	m.textSecrets = s.Query.Enabled && (s.DefaultKeys || len(s.Secrets.Keys) > 0)
	// Header names in text ride on the query rule, which scans names in
	// text; the values follow the header rule's action.
	m.textHeaders = s.Query.Enabled && s.Headers.Enabled && s.Headers.Anywhere && len(s.Headers.Names) > 0
	m.textOn = m.textSecrets || m.textHeaders

	if s.PII.Enabled {
		for _, name := range s.PII.Types {
			r, ok := PIIRuleByName(name)
			if !ok {
				return nil, fmt.Errorf("unknown PII type %q", name)
			}
			m.piiOn |= 1 << r
		}
	}
	m.buildTriggers()
	return m, nil
}

// Classify returns how the value of an attribute or map entry named key is
// treated. keep_keys win over everything; then the configured secret keys,
// header maps, sensitive header names and configured identifier keys, in
// that order; then the default vocabulary's secrets and identifiers.
func (m *Masker) Classify(key string) KeyKind {
	k, _ := m.ClassifyPII(key)
	return k
}

// ClassifyPII is Classify, and for a secret key the personal data its name
// reveals (card_number, ssn), which annotation reports.
func (m *Masker) ClassifyPII(key string) (KeyKind, KeyPII) {
	var c keyClass
	if m.names.keyFilter.mayMatch(key) {
		c = m.classOf(key)
		if k := m.kindOf(c); k != KeyPlain {
			return k, c.pii()
		}
		if c&clsKeep != 0 {
			return KeyPlain, 0
		}
	}
	if len(key) > 0 && m.prefixFirst[key[0]] && m.isHeaderKey(key) {
		return KeySensitiveHeader, 0
	}
	return KeyPlain, 0
}

// classOf returns key's class from the cache, computing it on a miss.
func (m *Masker) classOf(key string) keyClass {
	if c, ok := m.cache.get(key); ok {
		return c
	}
	c := m.names.compute(key)
	m.cache.put(key, c)
	return c
}

// kindOf applies the rules' switches and precedence to a key's class.
func (m *Masker) kindOf(c keyClass) KeyKind {
	switch {
	case c == 0 || c&clsKeep != 0:
		return KeyPlain
	case m.secretsOn && c&clsSecret != 0:
		return KeySecret
	case m.headersOn && c&clsHeaderMap != 0:
		return KeyHeaderMap
	case m.anywhere && c&clsHeaderName != 0:
		return KeySensitiveHeader
	case m.identOn && c&clsIdentifier != 0:
		return KeyIdentifier
	case m.secretsOn && c&clsVocabSecret != 0:
		return KeySecret
	case m.identOn && c&clsVocabIdentifier != 0:
		return KeyIdentifier
	}
	return KeyPlain
}

// isHeaderKey reports a flattened header attribute naming a sensitive
// header: a header key prefix followed by a header name. The caller checks
// prefixFirst[key[0]] first.
func (m *Masker) isHeaderKey(key string) bool {
	for _, p := range m.prefixes {
		// The prefix's last byte (a separator) is compared first: it
		// rejects most keys before the full comparison.
		if len(key) > len(p) && foldByte(key[len(p)-1]) == foldByte(p[len(p)-1]) &&
			keymatch.HasPrefix(key, p) && m.headerNames.Contains(key[len(p):]) {
			return true
		}
	}
	return false
}

// ClassifyHeader classifies a key inside a header map: sensitive header names
// first, then the ordinary rules.
func (m *Masker) ClassifyHeader(key string) KeyKind {
	k, _ := m.ClassifyHeaderPII(key)
	return k
}

// ClassifyHeaderPII is ClassifyHeader with the PII the name reveals.
func (m *Masker) ClassifyHeaderPII(key string) (KeyKind, KeyPII) {
	if m.headersOn && m.names.keyFilter.mayMatch(key) {
		if c := m.classOf(key); c&clsKeep == 0 && c&clsHeaderName != 0 {
			return KeySensitiveHeader, 0
		}
	}
	return m.ClassifyPII(key)
}

// isHeaderName reports whether name is a sensitive header name (or ends with
// one) and not kept, with the header rule on. cached is false for strings
// that may be values rather than names, which the cache must not hold.
func (m *Masker) isHeaderName(name string, cached bool) bool {
	if !m.headersOn || !m.names.keyFilter.mayMatch(name) {
		return false
	}
	var c keyClass
	if cached {
		c = m.classOf(name)
	} else {
		c = m.names.compute(name)
	}
	return c&clsKeep == 0 && c&clsHeaderName != 0
}

// MaskHeaderLine masks the values of raw header lines ("Cookie: a=b") whose
// name is a sensitive header, as found in a header map given as a list of
// lines or as one block of CRLF- or LF-separated lines. It returns the number
// of values masked; other lines are kept byte for byte.
func (m *Masker) MaskHeaderLine(s string) (string, int) {
	if strings.IndexByte(s, ':') < 0 {
		return s, 0
	}
	var b []byte
	copied, n := 0, 0
	for start := 0; start < len(s); {
		end := strings.IndexByte(s[start:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		line := s[start:end]
		line = strings.TrimSuffix(line, "\r")
		if repl, ok := m.maskHeaderLine(line); ok {
			if b == nil {
				b = make([]byte, 0, len(s)+8)
			}
			b = append(b, s[copied:start]...)
			b = append(b, repl...)
			copied = start + len(line)
			n++
		}
		start = end + 1
	}
	if n == 0 {
		return s, 0
	}
	return string(append(b, s[copied:]...)), n
}

func (m *Masker) maskHeaderLine(s string) (string, bool) {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !m.isHeaderName(strings.TrimSpace(s[:colon]), false) {
		return s, false
	}
	v := strings.TrimSpace(s[colon+1:])
	if v == "" || m.IsMasked(v) {
		return s, false
	}
	return s[:colon+1] + " " + m.SecretReplacement(KeySensitiveHeader, v), true
}

// IsHeaderName reports whether name is a sensitive header name (with the
// header rule on), as the first element of a [name, value] pair or of a flat
// name, value, name, value list. Such elements may be values, so the answer
// is computed, not cached.
func (m *Masker) IsHeaderName(name string) bool { return m.isHeaderName(name, false) }

// RuleFor returns the rule that reports masking of a key of kind k.
func RuleFor(k KeyKind) Rule {
	switch k {
	case KeyIdentifier:
		return RuleIdentifier
	case KeySensitiveHeader:
		return RuleHeader
	default:
		return RuleSecret
	}
}

// IsMasked reports whether s is already the output of a secret rule ("***" or
// a hash), so that masking twice changes nothing and counts nothing.
func (m *Masker) IsMasked(s string) bool {
	return s == Redacted || m.hashing && m.isHashForm(s)
}

// NeedsOriginal reports whether replacing a value of kind k needs the value
// itself (to hash it); when false the adapter can skip stringifying it.
func (m *Masker) NeedsOriginal(k KeyKind) bool {
	return m.actionFor(k) == ActionHash
}

func (m *Masker) actionFor(k KeyKind) Action {
	if k == KeySensitiveHeader {
		return m.settings.Headers.Action
	}
	return m.settings.Secrets.Action
}

// SecretReplacement is the masked form of the value orig of a key of kind k
// (KeySecret or KeySensitiveHeader).
func (m *Masker) SecretReplacement(k KeyKind, orig string) string {
	if m.actionFor(k) == ActionHash {
		return m.Hash(orig)
	}
	return Redacted
}

// Hash returns the configured prefix and the first Length hex characters of
// HMAC-SHA256(key, s).
func (m *Masker) Hash(s string) string {
	h := m.hmacPool.Get().(hash.Hash)
	h.Reset()
	_, _ = h.Write([]byte(s))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	m.hmacPool.Put(h)
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	return m.settings.Hash.Prefix + string(hx[:m.settings.Hash.Length])
}

// hashFormAt returns the length of a hash output starting at s[0], or 0.
func (m *Masker) hashFormAt(s string) int {
	p := m.settings.Hash.Prefix
	n := len(p) + m.settings.Hash.Length
	if len(s) < n || s[:len(p)] != p {
		return 0
	}
	for i := len(p); i < n; i++ {
		if !isLowerHex(s[i]) {
			return 0
		}
	}
	// No check of what follows: a custom pattern's hashed match can be
	// followed by anything, and must still be recognised.
	return n
}

func (m *Masker) isHashForm(s string) bool {
	return len(s) == len(m.settings.Hash.Prefix)+m.settings.Hash.Length && m.hashFormAt(s) == len(s)
}

// TruncateIdentifier cuts s to prefix + "..." + suffix, or "***" when s is too
// short to cut without showing most of it. Empty and already truncated values
// are returned unchanged with false.
func (m *Masker) TruncateIdentifier(s string) (string, bool) {
	id := m.settings.Identifiers
	if s == "" || s == Redacted {
		return s, false
	}
	// Cut on rune boundaries so multi-byte identifiers stay valid UTF-8.
	head := 0
	for i := 0; i < id.KeepPrefix && head < len(s); i++ {
		_, n := utf8.DecodeRuneInString(s[head:])
		head += n
	}
	runes := utf8.RuneCountInString(s)
	if runes == id.KeepPrefix+3+id.KeepSuffix && strings.HasPrefix(s[head:], "...") {
		return s, false // already truncated
	}
	if runes < id.MinLength {
		return Redacted, true
	}
	tail := len(s)
	for i := 0; i < id.KeepSuffix; i++ {
		_, n := utf8.DecodeLastRuneInString(s[:tail])
		tail -= n
	}
	var b strings.Builder
	b.Grow(head + 3 + len(s) - tail)
	b.WriteString(s[:head])
	b.WriteString("...")
	b.WriteString(s[tail:])
	return b.String(), true
}

// ScansText reports whether any free-text rule is on, so adapters can skip
// calling MaskText.
func (m *Masker) ScansText() bool {
	return m.settings.Query.Enabled || m.piiOn != 0 || len(m.custom) > 0
}

// RuleName is the telemetry name of r: the built-in name or the custom
// pattern's name.
func (m *Masker) RuleName(r Rule) string {
	if r < RuleCustom0 {
		return builtinNames[r]
	}
	if i := int(r - RuleCustom0); i < len(m.custom) {
		return m.custom[i].Name
	}
	return ""
}

// NumRules is the number of rule ids in use (built-in plus custom).
func (m *Masker) NumRules() int { return int(RuleCustom0) + len(m.custom) }

// PIINames appends the names of the PII rules set in mask, in rule order.
func (m *Masker) PIINames(dst []string, mask uint64) []string {
	for r := RuleEmail; int(r) < m.NumRules(); r++ {
		if mask&(1<<r) != 0 {
			dst = append(dst, m.RuleName(r))
		}
	}
	return dst
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// isWord reports letters, digits, '_' and non-ASCII bytes: characters that
// continue a token.
func isWord(c byte) bool { return isAlnum(c) || c == '_' || c >= 0x80 }

func foldByte(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + ('a' - 'A')
	case c == '-' || c == '.':
		return '_'
	}
	return c
}
