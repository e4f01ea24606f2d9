package masker

import (
	"net/netip"
	"strings"
)

// Trigger bits: a byte that may start (or, for '@', '=' and ':', anchor) a
// match. The scanner looks at one table entry per byte and runs a detector
// only on a trigger, which keeps clean text at about a nanosecond a byte.
const (
	trigHash   uint16 = 1 << iota // first byte of the hash prefix: skip hash outputs
	trigEmail                     // '@'
	trigNumber                    // digits, '+', '(': card, phone, IPv4
	trigJWT                       // 'e' of "eyJ"
	trigBearer                    // 'B' or 'b' of "Bearer"
	trigAWS                       // 'A' of "AKIA"/"ASIA"
	trigPEM                       // '-' of "-----BEGIN"
	trigEquals                    // '=' of name=value
	trigColon                     // ':' of "name": "value", name: value and IPv6
	trigAt                        // '@' ending URL userinfo (scheme://user:pass@host)
)

// trigWordStart are the triggers whose detectors need a non-word byte before
// them.
const trigWordStart = trigNumber | trigJWT | trigBearer | trigAWS

var wordByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isWord(byte(c))
	}
	return t
}()

// mayStartAt cheaply rejects the common non-starts of the punctuation
// triggers, saving a call: a lone '-' (dates, UUIDs) cannot open a PEM block,
// and a ':' not after a quote or space (times, URLs) cannot end a quoted
// name unless IPv6 detection wants it.
func (m *Masker) mayStartAt(s string, i int, f uint16) bool {
	switch f {
	case trigNumber:
		if i > 0 && !numLeft[s[i-1]] {
			return false
		}
		if s[i] == '+' || s[i] == '(' {
			return true
		}
		// A digit run glued to a letter, '@' or ':' (hex ids, times) can
		// be no card, phone or address; neither can a short run that does
		// not continue with a separator.
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == len(s) {
			return j-i >= 8
		}
		c, n := s[j], j-i
		switch {
		case wordByte[c] || c == ':' || c == '@':
			return false
		case n >= 8:
			return true
		case c == '.':
			// Only a North American 415.555.2671 or an IPv4 address
			// continues a short run with a dot (not versions or decimals).
			return n == 3 || n <= 3 && m.on(RuleIPv4)
		case c == '-' && n == 4 && s[i] != '0':
			// 2026-05-08: a year then a two-digit group is a date.
			k := j + 1
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			return k-j-1 != 2
		}
		return n <= 6 && (c == ' ' || c == '-')
	case trigPEM:
		return i+1 < len(s) && s[i+1] == '-'
	case trigColon:
		if m.on(RuleIPv6) || i == 0 {
			return true
		}
		// A quoted name ("token": ...) or a bare one followed by a space
		// (password: ...); times and URLs have neither.
		c := s[i-1]
		return c == '"' || c == '\'' || c == ' ' ||
			i+1 < len(s) && s[i+1] == ' ' && keyCharTable[c]
	}
	return true
}

func (m *Masker) on(r Rule) bool { return m.piiOn&(1<<r) != 0 }

func (m *Masker) buildTriggers() {
	var t [256]uint16
	if m.hashing {
		t[m.settings.Hash.Prefix[0]] |= trigHash
	}
	if m.on(RuleEmail) {
		t['@'] |= trigEmail
	}
	if m.on(RulePhone) || m.on(RuleCard) || m.on(RuleIPv4) {
		for c := '0'; c <= '9'; c++ {
			t[c] |= trigNumber
		}
	}
	if m.on(RulePhone) {
		t['+'] |= trigNumber
		t['('] |= trigNumber
	}
	if m.on(RuleJWT) {
		t['e'] |= trigJWT
	}
	if m.on(RuleBearer) {
		t['B'] |= trigBearer
		t['b'] |= trigBearer
	}
	if m.on(RuleAWSAccessKey) {
		t['A'] |= trigAWS
	}
	if m.on(RulePrivateKey) {
		t['-'] |= trigPEM
	}
	if m.textOn {
		t['='] |= trigEquals
		t[':'] |= trigColon
	}
	if m.textSecrets {
		t['@'] |= trigAt
	}
	if m.on(RuleIPv6) {
		t[':'] |= trigColon
	}
	m.trig = t
	for _, v := range t {
		m.trigAny = m.trigAny || v != 0
	}
}

// scanner is one pass over one string. It lives on the caller's stack and
// allocates its output only at the first replacement.
type scanner struct {
	m *Masker
	s string
	b []byte // output; nil until something is replaced
	// counts are per built-in rule; they are added to the caller's Stats at
	// the end, so the Stats pointer does not flow into the scanner (whose
	// contents the compiler must assume escape) and stays on its stack.
	counts [RuleCustom0]uint32
	// keyPII: personal data named by the names whose values were masked.
	keyPII KeyPII
	// copied: s[:copied] is already in b. last: end of the last match or
	// skipped hash output; lookbacks never cross it, and nothing may start
	// exactly there, so a second pass (which sees a label instead of the
	// match) decides the same way as the first.
	copied, last int
}

// MaskText masks query secrets, PII and custom patterns in s, adding what it
// did to st. It returns s itself and false when nothing matched.
func (m *Masker) MaskText(s string, st *Stats) (string, bool) {
	out, changed := s, false
	if m.trigAny {
		if i := m.nextTrigger(s, 0); i < len(s) {
			out, changed = m.scan(s, i, st)
		}
	}
	for i := range m.custom {
		if r, ok := m.maskCustom(i, out, st); ok {
			out, changed = r, true
		}
	}
	return out, changed
}

// nextTrigger returns the first position at or after i where a detector may
// start, or len(s). Most triggers are letters or digits that only start a
// match at a word boundary; inside a word they are rejected here, inline.
func (m *Masker) nextTrigger(s string, i int) int {
	t := &m.trig
	for ; i < len(s); i++ {
		f := t[s[i]]
		if f == 0 || f&^trigWordStart == 0 && i > 0 && wordByte[s[i-1]] || !m.mayStartAt(s, i, f) {
			continue
		}
		return i
	}
	return i
}

// scan runs the detectors from the first trigger at i. It is split from
// MaskText so that strings without any trigger (most) never set up a scanner.
func (m *Masker) scan(s string, i int, st *Stats) (string, bool) {
	sc := scanner{m: m, s: s}
	for i < len(s) {
		if n := sc.at(i, m.trig[s[i]]); n > i {
			i = n
		} else {
			i++
		}
		i = m.nextTrigger(s, i)
	}
	if sc.b == nil {
		return s, false
	}
	sc.b = append(sc.b, s[sc.copied:]...)
	for r, n := range sc.counts {
		st.addN(Rule(r), n)
	}
	st.KeyPII |= sc.keyPII
	return string(sc.b), true
}

// at runs the detectors triggered at s[i] and returns where scanning resumes:
// past a match or a skipped hash output, or i when nothing matched.
func (sc *scanner) at(i int, f uint16) int {
	if f&trigHash != 0 {
		if n := sc.m.hashFormAt(sc.s[i:]); n > 0 {
			sc.last = i + n
			return i + n
		}
	}
	var n int
	switch {
	case f&trigNumber != 0:
		n = sc.number(i)
	case f&(trigEmail|trigAt) != 0:
		if f&trigAt != 0 {
			n = sc.userinfo(i)
		}
		if n <= i && f&trigEmail != 0 {
			n = sc.email(i)
		}
	case f&trigJWT != 0:
		n = sc.jwt(i)
	case f&trigBearer != 0:
		n = sc.bearer(i)
	case f&trigAWS != 0:
		n = sc.aws(i)
	case f&trigPEM != 0:
		n = sc.pem(i)
	case f&trigEquals != 0:
		n = sc.query(i)
	case f&trigColon != 0:
		if sc.m.textOn {
			n = sc.quotedPair(i)
			if n <= i {
				n = sc.colonPair(i)
			}
		}
		if n <= i && sc.m.on(RuleIPv6) {
			n = sc.ipv6(i)
		}
	}
	return n
}

// replace emits repl for s[start:end] and records the match.
func (sc *scanner) replace(start, end int, repl string, r Rule) int {
	if sc.b == nil {
		sc.b = make([]byte, 0, len(sc.s)+16)
	}
	sc.b = append(sc.b, sc.s[sc.copied:start]...)
	sc.b = append(sc.b, repl...)
	sc.copied, sc.last = end, end
	sc.counts[r]++
	return end
}

// pii replaces s[start:end], a match of PII rule r.
func (sc *scanner) pii(start, end int, r Rule) int {
	m := sc.m
	switch {
	case m.settings.PII.Action == ActionHash:
		return sc.replace(start, end, m.Hash(sc.s[start:end]), r)
	case m.settings.PII.Labels:
		return sc.replace(start, end, builtinLabels[r], r)
	default:
		return sc.replace(start, end, Redacted, r)
	}
}

// nameKind is what a name found in text is: a secret key (rule query) or a
// sensitive header name (rule header), and in its high bits the personal
// data the name reveals (KeyPII), counted when the value is masked.
type nameKind uint8

const (
	nameNone nameKind = iota
	nameSecret
	nameHeader

	nameKindBits = 2
)

func (k nameKind) kind() nameKind { return k & (1<<nameKindBits - 1) }
func (k nameKind) pii() KeyPII    { return KeyPII(k >> nameKindBits) }

// textName classifies a name found in text, with the precedence of
// Classify: kept names, then configured secrets, then sensitive headers, then
// the vocabulary's secrets.
func (m *Masker) textName(name string) nameKind {
	if !m.names.textFilter.mayMatch(name) {
		return nameNone
	}
	c := m.classOf(name)
	switch {
	case c&clsKeep != 0:
		return nameNone
	case m.textSecrets && c&clsSecret != 0:
		return nameSecret | nameKind(c.pii())<<nameKindBits
	case m.textHeaders && c&clsHeaderName != 0:
		return nameHeader
	case m.textSecrets && c&clsVocabSecret != 0:
		return nameSecret | nameKind(c.pii())<<nameKindBits
	}
	return nameNone
}

// namedValue replaces s[start:end], the value of a name of kind k in text,
// unless it is already masked. Header values follow the header rule's action.
func (sc *scanner) namedValue(start, end int, k nameKind) int {
	v := sc.s[start:end]
	if sc.m.IsMasked(v) {
		sc.last = end
		return end
	}
	action, rule := sc.m.settings.Query.Action, RuleQuery
	if k.kind() == nameHeader {
		action, rule = sc.m.settings.Headers.Action, RuleHeader
	}
	sc.keyPII |= k.pii()
	if action == ActionHash {
		return sc.replace(start, end, sc.m.Hash(v), rule)
	}
	return sc.replace(start, end, Redacted, rule)
}

// leftOK reports whether a match may start at i: not inside a word, not right
// after a previous match, and not after a label's closing ']' or '*'.
func (sc *scanner) leftOK(i int) bool {
	if i == 0 {
		return true
	}
	if i == sc.last {
		return false
	}
	c := sc.s[i-1]
	return !isWord(c) && c != ']' && c != '*'
}

// rightOK reports whether a match may end at i: not followed by a word
// character, nor by what a replacement starts with ('[', '*', the hash
// prefix), so a second pass decides as the first did.
func (sc *scanner) rightOK(i int) bool {
	if i >= len(sc.s) {
		return true
	}
	c := sc.s[i]
	if isWord(c) || c == '[' || c == '*' {
		return false
	}
	return !sc.m.hashing || c != sc.m.settings.Hash.Prefix[0]
}

// ---- numbers: payment cards, phone numbers, IPv4 ----

// numLeft lists the characters a number may follow. Hyphens and dots are
// missing on purpose: they glue digits into dates, UUIDs and versions.
var numLeft = func() (t [256]bool) {
	for _, c := range " \t\n\r=:\"'([{,;<>/|#" {
		t[c] = true
	}
	return t
}()

type numToken struct {
	end     int
	groups  [8]uint8
	lead    [8]byte // first digit of each group
	ng      int
	digits  int
	plus    bool
	paren   bool
	sepMask uint8 // 1 space, 2 hyphen, 4 dot
}

const (
	sepSpace  = 1
	sepHyphen = 2
	sepDot    = 4
)

func (sc *scanner) number(i int) int {
	s := sc.s
	if i > 0 && (i == sc.last || !numLeft[s[i-1]]) {
		return i
	}
	m := sc.m
	if isDigit(s[i]) && m.on(RuleIPv4) {
		if end := sc.ipv4End(i); end > 0 {
			return sc.pii(i, end, RuleIPv4)
		}
	}
	tok, ok := parseNumber(s, i)
	if !ok || !sc.numberRightOK(tok.end) || sc.numberLabelAfter(tok.end) {
		return i
	}
	if m.on(RuleCard) && isCard(s[i:tok.end], &tok) {
		return sc.pii(i, tok.end, RuleCard)
	}
	if m.on(RulePhone) && isPhone(&tok) {
		return sc.pii(i, tok.end, RulePhone)
	}
	return i
}

// numberRightOK rejects numbers glued to what follows: letters, '@', ':' (a
// time), '+', and '-', '.', '/' unless they end a sentence.
func (sc *scanner) numberRightOK(end int) bool {
	s := sc.s
	if end >= len(s) {
		return true
	}
	switch s[end] {
	case ':', '@', '+':
		return false
	case '-', '.', '/':
		return end+1 == len(s) || isSpace(s[end+1])
	}
	return sc.rightOK(end)
}

// numberLabelAfter reports whether the number ending at end is followed by a
// separator and what a masked value reads as. In the first pass that
// separator led on to more digits, which made this longer number invalid
// before a later part of it matched; deciding the same in the second pass
// keeps masking idempotent ("000 0000 000 00 000 000 00").
func (sc *scanner) numberLabelAfter(end int) bool {
	s := sc.s
	if end+1 >= len(s) || s[end] != ' ' && s[end] != '-' && s[end] != '.' {
		return false
	}
	return sc.m.maskedAt(s[end+1:])
}

// maskedAt reports whether s starts with something masking writes: a
// label, "***", a hash output or a custom replacement.
func (m *Masker) maskedAt(s string) bool {
	if strings.HasPrefix(s, Redacted) || m.hashing && m.hashFormAt(s) > 0 {
		return true
	}
	if s[0] == '[' {
		for _, l := range builtinLabels {
			if l != "" && strings.HasPrefix(s, l) {
				return true
			}
		}
	}
	for i := range m.custom {
		if r := m.custom[i].Replacement; r != "" && strings.HasPrefix(s, r) {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parseNumber reads digit groups from s[i]: an optional '+', groups of digits
// (one may be in parentheses) separated by single spaces, hyphens or dots.
func parseNumber(s string, i int) (numToken, bool) {
	var t numToken
	j := i
	if s[j] == '+' {
		t.plus = true
		j++
	}
	groupEnd := -1
	for t.ng < len(t.groups) {
		k := j
		open := k < len(s) && s[k] == '('
		if open {
			k++
		}
		start := k
		for k < len(s) && isDigit(s[k]) && k-start < 20 {
			k++
		}
		if k == start || k < len(s) && isDigit(s[k]) {
			break
		}
		glen := k - start
		if open {
			if k >= len(s) || s[k] != ')' || t.paren {
				break
			}
			k++
			t.paren = true
		}
		t.groups[t.ng] = uint8(glen)
		t.lead[t.ng] = s[start]
		t.ng++
		t.digits += glen
		groupEnd = k
		j = k
		if j >= len(s) {
			break
		}
		c := s[j]
		next := byte(0)
		if j+1 < len(s) {
			next = s[j+1]
		}
		switch {
		case open && c == ' ' && (isDigit(next)):
			t.sepMask |= sepSpace
			j++
		case open && isDigit(c):
			// "(415)555-2671"
		case (c == ' ' || c == '-' || c == '.') && (isDigit(next) || next == '(' && !t.paren):
			switch c {
			case ' ':
				t.sepMask |= sepSpace
			case '-':
				t.sepMask |= sepHyphen
			default:
				t.sepMask |= sepDot
			}
			j++
		default:
			t.end = groupEnd
			return t, t.ng > 0
		}
	}
	if groupEnd < 0 || t.ng == len(t.groups) && j < len(s) && isDigit(s[j]) {
		return t, false
	}
	t.end = groupEnd
	// A separator consumed before a failed group is not part of the number.
	return t, true
}

// isCard: 13 to 19 digits, contiguous or in groups of 3 to 6 split by one kind
// of separator (space or hyphen), a known issuer prefix and length, and a
// valid Luhn check digit. The issuer check keeps most plain numeric ids
// (snowflakes, epoch nanoseconds) out.
func isCard(span string, t *numToken) bool {
	if t.plus || t.paren || t.digits < 13 || t.digits > 19 {
		return false
	}
	if t.ng > 1 {
		if t.sepMask != sepSpace && t.sepMask != sepHyphen {
			return false
		}
		for g := 0; g < t.ng; g++ {
			if t.groups[g] < 3 || t.groups[g] > 6 {
				return false
			}
		}
	}
	var d [19]byte
	n := 0
	for k := 0; k < len(span); k++ {
		if isDigit(span[k]) {
			d[n] = span[k] - '0'
			n++
		}
	}
	return issuerOK(d[:n]) && luhn(d[:n])
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for k := len(d) - 1; k >= 0; k-- {
		v := int(d[k])
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

func prefixInt(d []byte, n int) int {
	v := 0
	for k := 0; k < n; k++ {
		v = v*10 + int(d[k])
	}
	return v
}

func issuerOK(d []byte) bool {
	n := len(d)
	p1, p2, p3, p4 := prefixInt(d, 1), prefixInt(d, 2), prefixInt(d, 3), prefixInt(d, 4)
	switch {
	case p1 == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55 || p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011 || p2 == 65 || p3 >= 644 && p3 <= 649: // Discover
		return n >= 16
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16
	case p3 >= 300 && p3 <= 305 || p2 == 36 || p2 == 38 || p2 == 39: // Diners Club
		return n >= 14
	case p2 == 62: // UnionPay
		return n >= 16
	}
	return false
}

// isPhone accepts international numbers ('+' and 8 to 15 digits) and two
// national shapes of 10 or 11 digits: North American 3-3-4 (area code 2-9,
// optionally after a "1" group, dots allowed) and trunk-prefixed numbers
// whose first group starts with 0 ("020 7946 0958"). Anything else that is
// merely digits in groups (lists of numbers, dates, versions, dotted quads,
// contiguous ids) is left alone.
func isPhone(t *numToken) bool {
	if t.plus {
		return t.digits >= 8 && t.digits <= 15
	}
	if t.digits < 10 || t.digits > 11 || t.ng < 2 || t.ng > 4 {
		return false
	}
	g := t.groups[:t.ng]
	off := 0
	if t.ng == 4 && g[0] == 1 && t.lead[0] == '1' {
		off = 1
	}
	if t.ng-off == 3 && g[off] == 3 && g[off+1] == 3 && g[off+2] == 4 && t.lead[off] >= '2' {
		return t.sepMask&sepDot == 0 || t.sepMask == sepDot
	}
	if t.lead[0] != '0' || t.sepMask&sepDot != 0 || t.paren {
		return false
	}
	for _, n := range g {
		if n < 2 || n > 4 {
			return false
		}
	}
	return true
}

// ipv4End returns the end of a dotted-quad address at s[i], or 0.
func (sc *scanner) ipv4End(i int) int {
	s := sc.s
	j := i
	for o := 0; o < 4; o++ {
		if o > 0 {
			if j >= len(s) || s[j] != '.' {
				return 0
			}
			j++
		}
		start, v := j, 0
		for j < len(s) && isDigit(s[j]) && j-start < 4 {
			v = v*10 + int(s[j]-'0')
			j++
		}
		n := j - start
		if n == 0 || n > 3 || v > 255 || n > 1 && s[start] == '0' {
			return 0
		}
	}
	if j < len(s) {
		c := s[j]
		// A fifth group (a version, or in a second pass the hash a custom
		// pattern left there) makes it no address.
		if c == '.' && j+1 < len(s) && (isDigit(s[j+1]) || sc.m.hashing && sc.m.hashFormAt(s[j+1:]) > 0) {
			return 0
		}
		if c != '.' && !sc.rightOK(j) {
			return 0
		}
	}
	return j
}

// ---- email ----

func isLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func (sc *scanner) email(i int) int {
	s := sc.s
	start := i
	for start > sc.last && i-start < 64 && isLocal(s[start-1]) {
		start--
	}
	for start < i && s[start] == '.' {
		start++
	}
	if start == i {
		return i
	}
	j, end, labels := i+1, 0, 0
	for j-i < 255 {
		if sc.m.hashing && sc.m.hashFormAt(s[j:]) > 0 {
			break // a hash output (of a custom pattern's match) is no domain label
		}
		ls := j
		alpha := true
		for j < len(s) && (isAlnum(s[j]) || s[j] == '-') {
			if !isAlpha(s[j]) {
				alpha = false
			}
			j++
		}
		if j == ls || s[ls] == '-' {
			break
		}
		labels++
		if labels >= 2 && alpha && j-ls >= 2 {
			end = j
		}
		if j+1 < len(s) && s[j] == '.' && isAlnum(s[j+1]) {
			j++
			continue
		}
		break
	}
	if end == 0 {
		return i
	}
	return sc.pii(start, end, RuleEmail)
}

// ---- JWT, bearer tokens, AWS access key ids, PEM private keys ----

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

func (sc *scanner) jwt(i int) int {
	s := sc.s
	if !strings.HasPrefix(s[i:], "eyJ") || !sc.leftOK(i) || i > 0 && (s[i-1] == '-' || s[i-1] == '.') {
		return i
	}
	j, segs := i, 0
	for {
		start := j
		for j < len(s) && isB64URL(s[j]) {
			j++
		}
		if j-start < 2 && !(segs == 2 && j == start) {
			return i
		}
		segs++
		if j < len(s) && s[j] == '.' && segs < 5 {
			j++
			continue
		}
		break
	}
	if segs < 3 || segs == 4 || !sc.rightOK(j) {
		return i
	}
	return sc.pii(i, j, RuleJWT)
}

func isTokenChar(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='
}

// bearer masks the credential after "Bearer" or "Basic" (any case), keeping
// the scheme word.
func (sc *scanner) bearer(i int) int {
	s := sc.s
	word := 0
	switch {
	case len(s)-i > 6 && strings.EqualFold(s[i:i+6], "bearer"):
		word = 6
	case len(s)-i > 5 && strings.EqualFold(s[i:i+5], "basic"):
		word = 5
	default:
		return i
	}
	if !sc.leftOK(i) {
		return i
	}
	j := i + word
	if s[j] != ' ' && s[j] != '\t' {
		return i
	}
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if sc.m.hashing {
		if n := sc.m.hashFormAt(s[j:]); n > 0 {
			sc.last = j + n
			return j + n
		}
	}
	start, tokenLike := j, false
	for j < len(s) && isTokenChar(s[j]) {
		c := s[j]
		if !isAlpha(c) || j > start && c >= 'A' && c <= 'Z' {
			tokenLike = true
		}
		j++
	}
	// Prose ("the bearer authentication scheme") is a lower-case word;
	// tokens have digits, punctuation or inner capitals, or are long.
	if j-start < 8 || !tokenLike && j-start < 20 || !sc.rightOK(j) {
		return i
	}
	if word == 5 && !isBase64(s[start:j]) {
		return i // "basic HTTP/1.1", "Basic auth-v2": no credentials
	}
	return sc.pii(start, j, RuleBearer)
}

// isBase64 reports standard padded base64, as Basic credentials are.
func isBase64(t string) bool {
	if len(t)%4 != 0 {
		return false
	}
	n := len(t)
	for n > 0 && len(t)-n < 2 && t[n-1] == '=' {
		n--
	}
	for k := 0; k < n; k++ {
		c := t[k]
		if !isAlnum(c) && c != '+' && c != '/' {
			return false
		}
	}
	return true
}

func (sc *scanner) aws(i int) int {
	s := sc.s
	if len(s)-i < 20 || s[i+1] != 'K' && s[i+1] != 'S' || s[i+2] != 'I' || s[i+3] != 'A' {
		return i
	}
	if !sc.leftOK(i) {
		return i
	}
	for k := i + 4; k < i+20; k++ {
		c := s[k]
		if !(c >= 'A' && c <= 'Z' || isDigit(c)) {
			return i
		}
	}
	if !sc.rightOK(i + 20) {
		return i
	}
	return sc.pii(i, i+20, RuleAWSAccessKey)
}

func (sc *scanner) pem(i int) int {
	s := sc.s
	const begin = "-----BEGIN "
	if !strings.HasPrefix(s[i:], begin) {
		return i
	}
	h := i + len(begin)
	hdrEnd := strings.Index(s[h:min(len(s), h+64)], "-----")
	if hdrEnd < 0 || !strings.HasSuffix(s[h:h+hdrEnd], "PRIVATE KEY") {
		return i
	}
	end := len(s) // an unterminated block is masked to the end
	if e := strings.Index(s[h+hdrEnd+5:], "-----END "); e >= 0 {
		from := h + hdrEnd + 5 + e + len("-----END ")
		if f := strings.Index(s[from:], "-----"); f >= 0 {
			end = from + f + 5
		}
	}
	return sc.pii(i, end, RulePrivateKey)
}

// ---- secrets named in text: name=value and "name": "value" ----

func isKeyChar(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// queryValueEnd lists what ends a value in a query string or logfmt line.
var queryValueEnd = func() (t [256]bool) {
	for _, c := range "&; \t\r\n\"',#<>()[]{}|" {
		t[c] = true
	}
	return t
}()

var keyCharTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isKeyChar(byte(c))
	}
	return t
}()

// headerValueEnd lists what ends a header's value in text: the end of the
// line, or the quote or escape of the string the header line sits in.
// Header values contain spaces, ';' and ',' (cookies, dates), so those do not.
var headerValueEnd = func() (t [256]bool) {
	for _, c := range "\r\n\"'\\" {
		t[c] = true
	}
	return t
}()

// query masks the value of name=value where name is a secret key or, with
// headers.names_anywhere, a sensitive header name (x-api-key=...).
func (sc *scanner) query(i int) int {
	s := sc.s
	k := i
	for k > sc.last && i-k < 64 && isKeyChar(s[k-1]) {
		k--
	}
	if k == i {
		return i
	}
	kind := sc.m.textName(s[k:i])
	if kind == nameNone {
		return i
	}
	if n := sc.quotedValue(i, i+1, kind); n != 0 {
		return n
	}
	j := i + 1
	for j < len(s) && !queryValueEnd[s[j]] {
		j++
	}
	if j == i+1 {
		return i
	}
	if kind.kind() == nameHeader {
		// authorization=Basic xyz: the credential follows the scheme.
		if e := sc.schemeTokenEnd(i+1, j); e > j {
			j = e
		}
	}
	return sc.namedValue(i+1, j, kind)
}

// quotedValue masks a value that starts at v with a quote ("x", 'x' or the
// escaped \"x\" of JSON inside a string) up to its closing quote. It returns
// where scanning resumes, i when the quoted value is empty or unterminated,
// and 0 when s[v] opens no quote.
func (sc *scanner) quotedValue(i, v int, kind nameKind) int {
	s := sc.s
	if v >= len(s) {
		return 0
	}
	if s[v] == '\\' && v+1 < len(s) && (s[v+1] == '"' || s[v+1] == '\'') {
		eq := s[v : v+2]
		e := strings.Index(s[v+2:], eq)
		if e <= 0 {
			return i
		}
		return sc.namedValue(v+2, v+2+e, kind)
	}
	q := s[v]
	if q != '"' && q != '\'' {
		return 0
	}
	for e := v + 1; e < len(s); e++ {
		switch s[e] {
		case '\\':
			e++
		case q:
			if e == v+1 {
				return i
			}
			return sc.namedValue(v+1, e, kind)
		}
	}
	return i
}

// schemeTokenEnd: when s[v:end] is an auth scheme word (Basic, Digest...)
// followed by spaces, the end of the credential token after it; else end.
func (sc *scanner) schemeTokenEnd(v, end int) int {
	s := sc.s
	if end-v > 16 || end >= len(s) || s[end] != ' ' {
		return end
	}
	for k := v; k < end; k++ {
		if !isAlpha(s[k]) {
			return end
		}
	}
	j := end
	for j < len(s) && s[j] == ' ' {
		j++
	}
	t := j
	for j < len(s) && !queryValueEnd[s[j]] {
		j++
	}
	if j == t {
		return end
	}
	return j
}

// colonPair masks the value of a bare name followed by ": " in text: a secret
// key (password: hunter2, to the end of the word or quoted string) or a
// sensitive header (Cookie: a=1; b=2, to the end of the line).
func (sc *scanner) colonPair(i int) int {
	s := sc.s
	if i+1 >= len(s) || s[i+1] != ' ' {
		return i
	}
	k := i
	for k > sc.last && i-k < 64 && isKeyChar(s[k-1]) {
		k--
	}
	if k == i {
		return i
	}
	kind := sc.m.textName(s[k:i])
	if kind == nameNone {
		return i
	}
	v := i + 1
	for v < len(s) && v-i < 8 && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	if v >= len(s) {
		return i
	}
	if kind.kind() == nameSecret {
		if n := sc.quotedValue(i, v, kind); n != 0 {
			return n
		}
		e := v
		for e < len(s) && !queryValueEnd[s[e]] {
			e++
		}
		if e == v {
			return i
		}
		return sc.namedValue(v, e, kind)
	}
	e := v
	for e < len(s) && !headerValueEnd[s[e]] {
		if s[e] == '=' && e+1 < len(s) && s[e+1] == '"' {
			// A quoted parameter (Digest username="bob") is part of the
			// value; any other quote closes the string the line is in.
			if q := strings.IndexByte(s[e+2:], '"'); q >= 0 {
				e += q + 3
				continue
			}
		}
		e++
	}
	for e > v && (s[e-1] == ' ' || s[e-1] == '\t') {
		e--
	}
	if e == v {
		return i
	}
	// "Bearer <token>" and "Basic <credentials>" keep their scheme, masked
	// by the bearer detector; an already masked credential stays.
	w := v
	for w < e && isAlpha(s[w]) {
		w++
	}
	if w > v && w < e && s[w] == ' ' {
		t := w
		for t < e && s[t] == ' ' {
			t++
		}
		if t < e && sc.m.maskedAt(s[t:e]) {
			sc.last = t
			return t
		}
		if sc.m.on(RuleBearer) {
			if n := sc.bearer(v); n > v {
				return n
			}
		}
	}
	return sc.namedValue(v, e, kind)
}

// userinfo masks the password of URL userinfo, scheme://user:pass@host,
// keeping the user and host. i is the '@'; with a raw '@' in the password the
// last '@' of the authority ends it.
func (sc *scanner) userinfo(i int) int {
	s := sc.s
	k := i
	for k > sc.last && i-k < 256 && userinfoChar[s[k-1]] {
		k--
	}
	if k-3 < sc.last || k < 4 || s[k-3:k] != "://" || !isAlnum(s[k-4]) {
		return i
	}
	c := strings.IndexByte(s[k:i], ':')
	if c < 0 {
		return i
	}
	pw := k + c + 1
	at := i
	for j := i + 1; j < len(s) && j-i < 256 && !authorityEnd[s[j]]; j++ {
		if s[j] == '@' {
			at = j
		}
	}
	if at == pw {
		return i
	}
	return sc.namedValue(pw, at, nameSecret)
}

// userinfoChar: RFC 3986 userinfo characters (unreserved, percent-encoded,
// sub-delims, ':').
var userinfoChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c))
	}
	for _, c := range "-._~%!$&'()*+,;=:" {
		t[c] = true
	}
	return t
}()

// authorityEnd ends a URL authority.
var authorityEnd = func() (t [256]bool) {
	for _, c := range "/?# \t\r\n\"<>\\" {
		t[c] = true
	}
	return t
}()

// quotedPair masks the value of a JSON or Python-style pair whose name is a
// secret: "token": "v", 'token': 'v', and the escaped \"token\": \"v\" of
// JSON embedded in a string.
func (sc *scanner) quotedPair(i int) int {
	s := sc.s
	j := i
	for j > sc.last && i-j < 4 && s[j-1] == ' ' {
		j--
	}
	if j == sc.last || j == 0 {
		return i
	}
	q := s[j-1]
	if q != '"' && q != '\'' {
		return i
	}
	keyEnd := j - 1
	escaped := keyEnd > sc.last && s[keyEnd-1] == '\\'
	if escaped {
		keyEnd--
	}
	k := keyEnd
	for k > sc.last && keyEnd-k < 64 && isKeyChar(s[k-1]) {
		k--
	}
	if k == keyEnd || k == sc.last || k == 0 || s[k-1] != q || escaped && (k < 2 || s[k-2] != '\\') {
		return i
	}
	kind := sc.m.textName(s[k:keyEnd])
	if kind == nameNone {
		return i
	}
	v := i + 1
	for v < len(s) && v-i < 5 && s[v] == ' ' {
		v++
	}
	if escaped {
		eq := `\"`
		if q == '\'' {
			eq = `\'`
		}
		if !strings.HasPrefix(s[v:], eq) {
			return i
		}
		v += 2
		e := strings.Index(s[v:], eq)
		if e <= 0 {
			return i
		}
		return sc.namedValue(v, v+e, kind)
	}
	if v >= len(s) || s[v] != q {
		return i
	}
	v++
	for e := v; e < len(s); e++ {
		switch s[e] {
		case '\\':
			e++
		case q:
			if e == v {
				return i
			}
			return sc.namedValue(v, e, kind)
		}
	}
	return i
}

// ---- IPv6 ----

func isV6Char(c byte) bool { return isHex(c) || c == ':' || c == '.' }

func (sc *scanner) ipv6(i int) int {
	s := sc.s
	k := i
	for k > sc.last && i-k < 45 && isV6Char(s[k-1]) {
		k--
	}
	if !sc.leftOK(k) {
		return i
	}
	e := i + 1
	for e < len(s) && e-k < 46 && isV6Char(s[e]) {
		e++
	}
	for e > i+1 && s[e-1] == '.' {
		e--
	}
	if !sc.rightOK(e) || strings.Count(s[k:e], ":") < 2 {
		return i
	}
	a, err := netip.ParseAddr(s[k:e])
	if err != nil || !a.Is6() {
		return i
	}
	return sc.pii(k, e, RuleIPv6)
}

// ---- custom patterns ----

func (m *Masker) maskCustom(idx int, s string, st *Stats) (string, bool) {
	c := &m.custom[idx]
	if !c.Regexp.MatchString(s) {
		return s, false
	}
	locs := c.Regexp.FindAllStringIndex(s, -1)
	var b strings.Builder
	copied, n := 0, 0
	for _, loc := range locs {
		match := s[loc[0]:loc[1]]
		if loc[0] == loc[1] || match == c.Replacement || m.hashing && m.insideHash(s, loc[0], loc[1]) {
			continue
		}
		if n == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[copied:loc[0]])
		if c.Action == ActionHash {
			b.WriteString(m.Hash(match))
		} else {
			b.WriteString(c.Replacement)
		}
		copied = loc[1]
		n++
		st.add(RuleCustom0 + Rule(idx))
	}
	if n == 0 {
		return s, false
	}
	b.WriteString(s[copied:])
	return b.String(), true
}

// insideHash reports whether s[start:end] overlaps a hash output, which a
// custom pattern must leave alone to stay idempotent.
func (m *Masker) insideHash(s string, start, end int) bool {
	p := m.settings.Hash.Prefix
	n := len(p) + m.settings.Hash.Length
	from := max(0, start-n+1)
	for {
		k := strings.Index(s[from:], p)
		if k < 0 {
			return false
		}
		k += from
		if k >= end {
			return false
		}
		if m.hashFormAt(s[k:]) > 0 && k+n > start {
			return true
		}
		from = k + 1
	}
}
