package masker

import (
	"math/bits"
	"slices"
	"strings"

	"github.com/redline-otel/redline/internal/keymatch"
)

// keyClass is what a key's name says, whichever rules are on: the masker
// turns it into a KeyKind with the rules' switches and precedence. It is
// what the cache stores per key.
type keyClass uint16

const (
	clsKeep            keyClass = 1 << iota // in KeepKeys: never masked by name
	clsSecret                               // in Secrets.Keys
	clsHeaderMap                            // in Headers.MapKeys
	clsHeaderName                           // ends with a sensitive header name
	clsIdentifier                           // in Identifiers.Keys
	clsVocabSecret                          // default vocabulary: a secret phrase
	clsVocabIdentifier                      // default vocabulary: a secret phrase + id, or a seed identifier name
	clsCard                                 // the vocabulary phrase names a payment card
	clsSSN                                  // the vocabulary phrase names a social security number
)

// KeyPII is the personal data a key's name reveals (card_number, cvv, ssn),
// so that a value masked by its name still counts as detected PII.
type KeyPII uint8

const (
	KeyPIICard KeyPII = 1 << iota
	KeyPIISSN
)

func (c keyClass) pii() KeyPII {
	var p KeyPII
	if c&clsCard != 0 {
		p |= KeyPIICard
	}
	if c&clsSSN != 0 {
		p |= KeyPIISSN
	}
	return p
}

// Names appends the PII type names of p that dst does not hold yet, as
// annotation lists them.
func (p KeyPII) Names(dst []string) []string {
	if p&KeyPIICard != 0 && !slices.Contains(dst, vocabPIICard) {
		dst = append(dst, vocabPIICard)
	}
	if p&KeyPIISSN != 0 && !slices.Contains(dst, vocabPIISSN) {
		dst = append(dst, vocabPIISSN)
	}
	return dst
}

// Limits of the word matcher. Longer keys are matched on their last
// maxKeyWords words (a phrase is at the end) and in full as whole names.
const (
	maxKeyWords   = 32
	maxPhraseLen  = 256 // bytes of a phrase built from a key's last words
	stackKeyBytes = 256 // keys up to this long are matched without allocating
	tokenWord     = "token"
)

type wordSpan struct{ s, e int }

// nameIndex holds the configured names and phrases in canonical form
// (keymatch.AppendCanonical) and computes a key's class. It is immutable
// after build, so it serves concurrent lookups.
type nameIndex struct {
	exact    map[string]keyClass // whole names
	phrases  map[string]keyClass // key endings: vocabulary phrases and header names
	maxWords int                 // words in the longest phrase
	defaults bool                // the vocabulary's identifier rule is on

	suffix, idSuffix, flag, notCredToken map[string]struct{}

	// keyFilter passes every key whose class may be non-zero, judged by its
	// last word; textFilter the names in text that may be secrets or
	// sensitive headers.
	keyFilter, textFilter wordFilter
}

func set(words []string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}

// buildNames indexes the names of s.
func buildNames(s Settings) nameIndex {
	x := nameIndex{
		exact: map[string]keyClass{}, phrases: map[string]keyClass{}, defaults: s.DefaultKeys,
		suffix: set(SecretSuffixes), idSuffix: set(IdentifierSuffixes),
		flag: set(FlagWords), notCredToken: set(NotCredentialTokens),
	}
	addExact := func(names []string, c keyClass, text bool) {
		for _, n := range names {
			canon := keymatch.Canonical(n)
			if canon == "" {
				continue // no letter or digit: configuration validation refuses it
			}
			x.exact[canon] |= c
			x.keyFilter.addName(canon)
			if text {
				x.textFilter.addName(canon)
			}
		}
	}
	addPhrase := func(phrase string, c keyClass) {
		phrase = letterWords(phrase) // matching skips digit-only words
		if phrase == "" {
			return
		}
		x.phrases[phrase] |= c
		x.keyFilter.addName(phrase)
		x.textFilter.addName(phrase)
		if n := wordCount(phrase); n > x.maxWords {
			x.maxWords = n
		}
	}
	addExact(s.KeepKeys, clsKeep, false)
	addExact(s.Secrets.Keys, clsSecret, true)
	addExact(s.Identifiers.Keys, clsIdentifier, false)
	addExact(s.Headers.MapKeys, clsHeaderMap, false)
	for _, n := range s.Headers.Names {
		canon := letterWords(keymatch.Canonical(n))
		if canon == "" {
			continue
		}
		addPhrase(canon, clsHeaderName)
		addPhrase(canon+"s", clsHeaderName)
	}
	if s.DefaultKeys {
		addExact(DefaultIdentifierKeys, clsVocabIdentifier, false)
		for _, v := range SecretVocabulary {
			c := clsVocabSecret
			switch v.PII {
			case vocabPIICard:
				c |= clsCard
			case vocabPIISSN:
				c |= clsSSN
			}
			addPhrase(v.Phrase, c)
			if v.Plural {
				addPhrase(v.Phrase+"s", c)
			}
		}
	}
	if len(x.phrases) > 0 {
		for _, w := range SecretSuffixes {
			x.keyFilter.addName(w)
			x.textFilter.addName(w)
		}
	}
	return x
}

// letterWords drops the digit-only words of a canonical name.
func letterWords(canon string) string {
	words := strings.Split(canon, "_")
	words = slices.DeleteFunc(words, func(w string) bool { return w == "" || w[0] >= '0' && w[0] <= '9' })
	return strings.Join(words, "_")
}

func wordCount(canon string) int {
	n := 1
	for i := 0; i < len(canon); i++ {
		if canon[i] == '_' {
			n++
		}
	}
	return n
}

// compute classifies key from scratch. Keys up to stackKeyBytes long do not
// allocate.
func (x *nameIndex) compute(key string) keyClass {
	var buf [2 * stackKeyBytes]byte
	canon := keymatch.AppendCanonical(buf[:0], key)
	c := x.exact[string(canon)]
	if len(x.phrases) == 0 {
		return c
	}
	var spans [maxKeyWords]wordSpan
	return c | x.vocabulary(canon, wordsOf(canon, &spans))
}

// wordsOf splits a canonical name into its words of letters (digit-only
// words are dropped), keeping the last maxKeyWords.
func wordsOf(canon []byte, spans *[maxKeyWords]wordSpan) []wordSpan {
	total := 0
	for i := 0; i < len(canon); i = nextWord(canon, i) {
		if isLetterWord(canon, i) {
			total++
		}
	}
	skip, n := total-maxKeyWords, 0
	for i := 0; i < len(canon); i = nextWord(canon, i) {
		if !isLetterWord(canon, i) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		spans[n] = wordSpan{i, nextWord(canon, i) - 1}
		n++
	}
	return spans[:n]
}

// nextWord returns the start of the word after the one starting at i (one
// past the end of canon for the last word).
func nextWord(canon []byte, i int) int {
	for i < len(canon) && canon[i] != '_' {
		i++
	}
	return i + 1
}

// isLetterWord: canonical words are all digits or start with a letter.
func isLetterWord(canon []byte, i int) bool { return canon[i] < '0' || canon[i] > '9' }

func word(canon []byte, w wordSpan) []byte { return canon[w.s:w.e] }

func in(m map[string]struct{}, b []byte) bool {
	_, ok := m[string(b)]
	return ok
}

// vocabulary matches the ending of a key's words against the phrases (see
// vocabulary.go for the rules).
func (x *nameIndex) vocabulary(canon []byte, w []wordSpan) keyClass {
	n := len(w)
	for strip := 0; strip <= 2 && strip < n; strip++ {
		if strip > 0 && !in(x.suffix, word(canon, w[n-strip])) {
			break
		}
		if c, ok := x.phraseEndingAt(canon, w, n-strip); ok {
			return c
		}
	}
	if x.defaults && n >= 2 && in(x.idSuffix, word(canon, w[n-1])) {
		if c, ok := x.phraseEndingAt(canon, w, n-1); ok && c != 0 {
			return clsVocabIdentifier
		}
	}
	return 0
}

// phraseEndingAt finds the longest phrase made of the words before w[end].
// ok reports that one was found; its class is 0 when a flag word before it,
// or a word that makes "token" no credential, turns it off.
func (x *nameIndex) phraseEndingAt(canon []byte, w []wordSpan, end int) (keyClass, bool) {
	var buf [maxPhraseLen]byte
	for l := min(x.maxWords, end); l >= 1; l-- {
		start := end - l
		if w[end-1].e-w[start].s > maxPhraseLen {
			continue // longer than any phrase, even without digit words
		}
		p := buf[:0]
		for i := start; i < end; i++ {
			if i > start {
				p = append(p, '_')
			}
			p = append(p, word(canon, w[i])...)
		}
		c, ok := x.phrases[string(p)]
		if !ok {
			continue
		}
		for i := 0; i < start; i++ {
			if in(x.flag, word(canon, w[i])) {
				return 0, true
			}
		}
		if string(p) == tokenWord && start > 0 && in(x.notCredToken, word(canon, w[start-1])) {
			return 0, true
		}
		return c, true
	}
	return 0, false
}

// wordFilter is a 2048-bit Bloom-style filter over the filter word of the
// names that can match: a key whose filter word differs in length, first or
// last letter from every name's is rejected, usually after reading its last
// eight bytes, before any hashing or map lookup.
//
// The filter word is the last word of letters, or, when that is "id" or
// "ids", the word before it (and so on): every rule that reads a trailing id
// also reads the word before it (a configured name such as node_id, a phrase
// such as session_id, the vocabulary's api_key_id), while request_id,
// trace_id and span_id, the most common names of all, are turned away here.
// The filter keeps the length and the first and last letters of the filter
// word, lower-cased: the same whatever the spelling of the key.
//
// A first, cheaper level reads only the last few bytes: when they end a word
// it can delimit (four lower-case letters or more, a capitalised or
// upper-case word of four letters or more, two or three lower-case letters
// after a separator, each perhaps before a trailing _id), that word is the
// filter word, and it is looked up by its last four letters and its length
// (2, 3, 4, more). Most attribute names end so.
type wordFilter struct {
	bits  [32]uint64
	quick [64]uint64
	// noLetters: some name has no letter (say "42"), so keys without
	// letters must be looked at.
	noLetters bool
}

// Length classes of the first level: a word of exactly two, three or four
// letters, or of more.
const (
	quick2 uint32 = iota
	quick3
	quick4
	quickLonger
)

// quickHash is the first level's slot of the last letters of a word (x, up
// to four lower-case letters, the last in the high byte) and its length
// class.
func quickHash(x, class uint32) uint {
	// Lower-case letters differ in their low five bits only; the class
	// takes two of the others.
	return uint((x&0x1f1f1f1f|class<<5)*0x9e3779b1) >> 20
}

// quickWord is the first level's slot of a lower-case filter word.
func quickWord(w string) (uint, bool) {
	n := len(w)
	if n < 2 {
		return 0, false
	}
	var x uint32
	for i := max(0, n-4); i < n; i++ {
		x = x>>8 | uint32(w[i])<<24
	}
	return quickHash(x, uint32(min(n, 5)-2)), true
}

// quickSlot is the first level's slot of key, or ok false when its end is
// not one of the shapes it reads: four lower-case letters after a fifth
// byte (tested four bytes at a time), and in quickSlotSlow the rest.
func quickSlot(key string) (uint, bool) {
	n := len(key)
	if n < 5 {
		return quickSlotSlow(key)
	}
	w := key[n-5:]
	x := uint32(w[1]) | uint32(w[2])<<8 | uint32(w[3])<<16 | uint32(w[4])<<24
	t := x & 0x7f7f7f7f
	// As in lowerRun: the high bit of each byte set for 'a'..'z'.
	if (0xfafafafa-t)&(t+0x1f1f1f1f)&^x&0x80808080 != 0x80808080 {
		return quickSlotSlow(key)
	}
	if isASCIINonLetter(w[0]) {
		return quickHash(x, quick4), true
	}
	return quickHash(x, quickLonger), true // the word goes on before these four letters
}

// quickSlotSlow reads the shapes quickSlot leaves: a capitalised or
// upper-case word of four letters or more (Code, CODE), a word of two or
// three lower-case letters after a separator or a digit (duration_ms, ts),
// and a trailing _id after any of these (request_id).
func quickSlotSlow(key string) (uint, bool) {
	n := len(key)
	if n < 2 {
		return 0, false
	}
	if n >= 4 {
		a, b, c, d := key[n-4], key[n-3], key[n-2], key[n-1]
		x := (uint32(a) | uint32(b)<<8 | uint32(c)<<16 | uint32(d)<<24) | 0x20202020
		switch {
		case isUpperAZ(a) && isLowerAZ(b) && isLowerAZ(c) && isLowerAZ(d): // Code: a capital starts the word
			return quickHash(x, quick4), true
		case isUpperAZ(a) && isUpperAZ(b) && isUpperAZ(c) && isUpperAZ(d): // CODE
			if n > 4 && isUpperAZ(key[n-5]) {
				return quickHash(x, quickLonger), true
			}
			return quickHash(x, quick4), true
		}
	}
	// Two or three lower-case letters that start after a separator, a digit
	// or the start of the key.
	r := 0
	for r < 4 && r < n && isLowerAZ(key[n-1-r]) {
		r++
	}
	if r < 2 || r > 3 || r < n && !isASCIINonLetter(key[n-1-r]) {
		return 0, false
	}
	if key[n-r] == 'i' && key[n-r+1] == 'd' && (r == 2 || key[n-1] == 's') {
		// A trailing id: the filter word is before it.
		if r < n-1 && isSep(key[n-1-r]) {
			return quickSlot(key[:n-1-r])
		}
		return 0, false
	}
	var x uint32
	for i := n - r; i < n; i++ {
		x = x>>8 | uint32(key[i])<<24
	}
	return quickHash(x, uint32(r-2)), true
}

func isLowerAZ(c byte) bool { return c-'a' < 26 }

func isUpperAZ(c byte) bool { return c-'A' < 26 }

func isSep(c byte) bool { return c == '_' || c == '.' || c == '-' }

// isASCIINonLetter: a separator or a digit, which ends a word.
func isASCIINonLetter(c byte) bool { return c < 0x80 && !isAlpha(c) }

// lowerRun returns the length of the run of lower-case ASCII letters that
// ends key, eight bytes at a time.
func lowerRun(key string) int {
	const (
		ones = 0x0101010101010101
		hi   = 0x8080808080808080
		lo7  = 0x7f7f7f7f7f7f7f7f
	)
	n := 0
	for end := len(key); end >= 8; end -= 8 {
		w := key[end-8 : end]
		// One 8-byte load: the compiler merges the byte loads.
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		t := x & lo7
		// High bit of each byte set when 'a' <= byte <= 'z' (bytes from
		// 0x80 excluded): 0x7a-t and t+0x1f do not borrow or carry across
		// bytes for t <= 0x7f.
		lower := (ones*0xfa - t) & (t + ones*0x1f) &^ x & hi
		if other := ^lower & hi; other != 0 {
			return n + bits.LeadingZeros64(other)/8
		}
		n += 8
	}
	for i := len(key) - n - 1; i >= 0 && isLowerAZ(key[i]); i-- {
		n++
	}
	return n
}

// filterWord returns the bounds of key's filter word by the exact word
// split; start == end when key has no letter.
func filterWord(key string) (start, end int) {
	start, end = keymatch.LastWord(key)
	for isIDWord(key[start:end]) {
		s, e := keymatch.LastWord(key[:start])
		if s == e {
			break
		}
		start, end = s, e
	}
	return start, end
}

// isIDWord reports "id" or "ids" in any case.
func isIDWord(w string) bool {
	return (len(w) == 2 || len(w) == 3 && w[2]|0x20 == 's') && w[0]|0x20 == 'i' && w[1]|0x20 == 'd'
}

// wordSlot is the filter slot of a word of length n with first and last
// letters (lower-cased).
func wordSlot(n int, first, last byte) uint {
	return (uint(n)*131 + uint(first)*31 + uint(last)*7) & 2047
}

// slotOf is the filter slot of key's filter word, or ok false for a key
// without letters. The common shapes take a shortcut that reads the last
// eight bytes: a word of lower-case letters after a separator, a digit or a
// capital (snake, kebab, dotted and camel case), and a trailing id after
// one. Anything else (capitals at the end, non-ASCII letters) takes the exact
// word split.
func slotOf(key string) (uint, bool) {
	n := len(key)
	if r := lowerRun(key); r > 0 {
		i := n - r
		// before is where the text before a trailing id ends, if the
		// shortcut can read it.
		before := -1
		switch {
		case i == 0 || isASCIINonLetter(key[i-1]):
			if !(r == 2 && key[i] == 'i' && key[i+1] == 'd' || r == 3 && key[i:] == "ids") {
				return wordSlot(r, key[i], key[n-1]), true
			}
			if i > 1 && isSep(key[i-1]) {
				before = i - 1 // request_id
			}
		case isUpperAZ(key[i-1]) && r >= 2:
			if !(key[i-1] == 'I' && r == 2 && key[i:] == "ds") {
				return wordSlot(r+1, key[i-1]|0x20, key[n-1]), true
			}
			before = i - 1 // requestIds
		case key[i-1] == 'I' && r == 1 && key[i] == 'd':
			before = i - 1 // requestId
		}
		// The word before a trailing id, when there is one; otherwise the
		// id itself, by the exact split below.
		if before > 0 {
			if slot, ok := slotOf(key[:before]); ok {
				return slot, true
			}
		}
	}
	s, e := filterWord(key)
	if s == e {
		return 0, false
	}
	return wordSlot(e-s, keymatch.FoldByte(key[s]), keymatch.FoldByte(key[e-1])), true
}

// addName records the filter word of a canonical name.
func (f *wordFilter) addName(canon string) {
	slot, ok := slotOf(canon)
	if !ok {
		f.noLetters = true
		return
	}
	f.bits[slot/64] |= 1 << (slot % 64)
	if s, e := filterWord(canon); s < e {
		if q, ok := quickWord(canon[s:e]); ok {
			f.quick[q/64] |= 1 << (q % 64)
		}
	}
}

// mayMatch reports whether key's filter word has the length, first and last
// letters of some name's. The first level's common case is written out here
// to save a call on the path most keys take.
func (f *wordFilter) mayMatch(key string) bool {
	if n := len(key); n >= 5 {
		w := key[n-5:]
		x := uint32(w[1]) | uint32(w[2])<<8 | uint32(w[3])<<16 | uint32(w[4])<<24
		t := x & 0x7f7f7f7f
		if (0xfafafafa-t)&(t+0x1f1f1f1f)&^x&0x80808080 == 0x80808080 {
			class := quickLonger
			if isASCIINonLetter(w[0]) {
				class = quick4
			}
			if q := quickHash(x, class); f.quick[q/64]&(1<<(q%64)) == 0 {
				return false
			}
			return f.mayMatchPrecise(key)
		}
	}
	if q, ok := quickSlotSlow(key); ok && f.quick[q/64]&(1<<(q%64)) == 0 {
		return false
	}
	return f.mayMatchPrecise(key)
}

// mayMatchPrecise is the second level.
func (f *wordFilter) mayMatchPrecise(key string) bool {
	slot, ok := slotOf(key)
	if !ok {
		return f.noLetters && key != ""
	}
	return f.bits[slot/64]&(1<<(slot%64)) != 0
}
