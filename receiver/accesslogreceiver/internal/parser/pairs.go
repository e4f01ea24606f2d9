package parser

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Pairs are `key=value` separated by spaces. A key is a letter or "_"
// followed by letters, digits, "_", "." or "-". A value is 'quoted' or
// "quoted" (backslash escapes as Python's repr and JSON write them), a
// bracketed [..], {..} or (..) run that may hold spaces, or anything up to
// the next space. Quoted values are strings; bare values are integers,
// decimals or booleans when they read as one, strings otherwise, except
// under keys that name identifiers (see isIDKey).

// pairsMode says what the pairs of a text record may fill besides attributes.
type pairsMode uint8

const (
	// pairsRecord: a line of pairs only. Keys that name a record field in a
	// JSON object (time, level, logger, trace and span IDs) fill it as
	// there, and the first of msg, message or event that is a string is the
	// body.
	pairsRecord pairsMode = iota
	// pairsMessage: the message of a text record (its time, level and
	// logger came before): the first of msg, message or event that is a
	// string is the body; every other pair is an attribute.
	pairsMessage
	// pairsTail: the "[k=v ...]" tail of a message: every pair is an
	// attribute, short keys renamed (see tailKey).
	pairsTail
)

// scanPairs reports whether s is pairs only, and how many.
func scanPairs(s string) (n int, ok bool) {
	for s = skipSpaces(s); s != ""; s = skipSpaces(s) {
		var pair bool
		_, _, _, s, pair = nextPair(s)
		if !pair {
			return 0, false
		}
		n++
	}
	return n, true
}

// nextPair reads the pair that starts s: its key, its value (without
// quotes, escapes not undone), the quote (0 for a bare value) and what
// follows. ok is false if s does not start with a pair.
func nextPair(s string) (key, val string, quote byte, rest string, ok bool) {
	i := 0
	for i < len(s) && isKeyByte(s[i], i == 0) {
		i++
	}
	if i == 0 || i == len(s) || s[i] != '=' {
		return "", "", 0, "", false
	}
	key, s = s[:i], s[i+1:]
	if s == "" || s[0] == ' ' || s[0] == '\t' {
		return key, "", 0, s, true
	}
	switch c := s[0]; c {
	case '\'', '"':
		end := closingQuote(s, c)
		if end < 0 || (end+1 < len(s) && s[end+1] != ' ' && s[end+1] != '\t') {
			return "", "", 0, "", false
		}
		return key, s[1:end], c, s[end+1:], true
	}
	end := bareEnd(s)
	if end < 0 {
		return "", "", 0, "", false
	}
	return key, s[:end], 0, s[end:], true
}

func isKeyByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case first:
		return false
	}
	return c >= '0' && c <= '9' || c == '.' || c == '-'
}

// closingQuote is the index of the quote that closes s[0], -1 if none.
func closingQuote(s string, q byte) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			return i
		}
	}
	return -1
}

// bareEnd is where the bare value that starts s ends: at a space, after any
// bracketed part (which may hold spaces and quotes). -1 if a bracket is
// never closed.
func bareEnd(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			if depth > 0 {
				depth--
			}
		case '\'', '"':
			if depth > 0 {
				end := closingQuote(s[i:], c)
				if end < 0 {
					return -1
				}
				i += end
			}
		case ' ', '\t':
			if depth == 0 {
				return i
			}
		}
	}
	if depth > 0 {
		return -1
	}
	return len(s)
}

// putPairs stores the pairs of s (which scanPairs accepted) in lr, as mode
// says, and reports whether one of them became the body.
func (p *Parser) putPairs(s string, lr plog.LogRecord, res *Result, mode pairsMode) (bodySet bool) {
	attrs := lr.Attributes()
	var tsC, sevC, bodyC, scopeC, traceC, spanC claim
	for s = skipSpaces(s); s != ""; s = skipSpaces(s) {
		k, v, q, rest, _ := nextPair(s)
		s = rest
		if mode == pairsTail {
			p.putPairValue(attrs, tailKey(k), v, q, res)
			continue
		}
		switch k {
		case "msg", "message", "event":
			if bodyC.take(k) {
				lr.Body().SetStr(unquote(v, q))
				bodySet = true
				continue
			}
		}
		if mode == pairsRecord && p.recordPair(k, v, q, lr, res, &tsC, &sevC, &scopeC, &traceC, &spanC) {
			continue
		}
		p.putPairValue(attrs, k, v, q, res)
	}
	return bodySet
}

// recordPair fills the record field k names, as fillRecord does for a JSON
// object, and reports whether v was used.
func (*Parser) recordPair(k, v string, q byte, lr plog.LogRecord, res *Result, tsC, sevC, scopeC, traceC, spanC *claim) bool {
	switch k {
	case "ts", "timestamp", "time":
		if !tsC.take(k) {
			return false
		}
		b := bytesOf(unquote(v, q))
		t, ok := ParseTime(b)
		if !ok {
			t, ok = parseEpoch(b)
		}
		if ok {
			lr.SetTimestamp(pcommon.Timestamp(t))
			if res.Flags&FlagBadTimestamp != 0 {
				lr.Attributes().Remove(k) // an earlier unparseable duplicate
			}
			return true
		}
		res.Flags |= FlagBadTimestamp
	case "level", "severity", "lvl":
		if !sevC.take(k) {
			return false
		}
		if q == 0 && isNumber(v) {
			i, err := strconv.Atoi(v)
			if n, text := numericSeverity(i); err == nil && n != plog.SeverityNumberUnspecified {
				lr.SetSeverityText(text)
				lr.SetSeverityNumber(n)
				return true
			}
			return false
		}
		setTextSeverity(lr, unquote(v, q))
		return true
	case "logger":
		if scopeC.take(k) {
			res.Scope = unquote(v, q)
			return true
		}
	case "trace_id":
		var id pcommon.TraceID
		if traceC.take(k) && decodeHex(id[:], bytesOf(v)) {
			lr.SetTraceID(id)
			return true
		}
	case "span_id":
		var id pcommon.SpanID
		if spanC.take(k) && decodeHex(id[:], bytesOf(v)) {
			lr.SetSpanID(id)
			return true
		}
	}
	return false
}

// putPairValue stores one value under k, typed as the package comment says;
// the last of a repeated key wins.
func (*Parser) putPairValue(m pcommon.Map, k, v string, q byte, res *Result) {
	before := m.Len()
	switch {
	case q != 0 || isIDKey(k):
		m.PutStr(k, unquote(v, q))
	case v == "true" || v == "True":
		m.PutBool(k, true)
	case v == "false" || v == "False":
		m.PutBool(k, false)
	case isNumber(v):
		b := bytesOf(v)
		if isIntegral(b) {
			if i, ok := parseInt(b); ok {
				m.PutInt(k, i)
				break
			}
			m.PutStr(k, v) // beyond int64: keep the digits
			break
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			m.PutStr(k, v)
			break
		}
		m.PutDouble(k, f)
	default:
		m.PutStr(k, v)
	}
	if m.Len() == before {
		res.Flags |= FlagDuplicateKey
	}
}

// tailKey renames the short keys that some text formats write in a
// "[k=v ...]" tail to the names the same fields have in JSON lines.
func tailKey(k string) string {
	switch k {
	case "svc":
		return "service"
	case "req":
		return attrRequestID
	}
	return k
}

// isIDKey reports whether k names an identifier, whose value stays a string
// even when it is all digits (a leading zero or a 20-digit ID would not
// survive a number).
func isIDKey(k string) bool {
	return k == "id" || k == "req" || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, ".id") ||
		strings.HasSuffix(k, "Id") || strings.HasSuffix(k, "ID")
}

// isNumber reports whether s is a number as JSON writes it, without a
// leading zero before further digits.
func isNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || (s[start] == '0' && i-start > 1) {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		f := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == f {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		e := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == e {
			return false
		}
	}
	return i == len(s)
}

// unquote undoes the escapes of a quoted value: \\ \' \" \n \r \t \0,
// \xhh, \uhhhh and \Uhhhhhhhh; any other escape is kept as written.
// A value without escapes is returned as it is (no copy).
func unquote(v string, q byte) string {
	if q == 0 || strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var sb strings.Builder
	sb.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' || i+1 == len(v) {
			sb.WriteByte(c)
			continue
		}
		i++
		switch e := v[i]; e {
		case '\\', '\'', '"':
			sb.WriteByte(e)
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case '0':
			sb.WriteByte(0)
		case 'x', 'u', 'U':
			n := 2
			if e == 'u' {
				n = 4
			} else if e == 'U' {
				n = 8
			}
			if r, ok := hexRune(v[i+1:], n); ok {
				if !utf8.ValidRune(r) {
					r = utf8.RuneError
				}
				sb.WriteRune(r)
				i += n
				continue
			}
			sb.WriteByte('\\')
			sb.WriteByte(e)
		default:
			sb.WriteByte('\\')
			sb.WriteByte(e)
		}
	}
	return sb.String()
}

func hexRune(s string, n int) (rune, bool) {
	if len(s) < n {
		return 0, false
	}
	var r rune
	for i := range n {
		d, ok := unhex(s[i])
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// splitTail splits a message that ends in a "[k=v ...]" tail into its text
// and the pairs inside the brackets, and counts them (n is 0 when there is
// no such tail).
func splitTail(msg string) (text, pairs string, n int) {
	if !strings.HasSuffix(msg, "]") {
		return msg, "", 0
	}
	end := len(msg) - 1
	// The bracket that opens the tail follows a space (or starts the
	// message); try the last few such brackets, nearest the end first.
	for i, tries := strings.LastIndexByte(msg[:end], '['), 0; i >= 0 && tries < 4; i = strings.LastIndexByte(msg[:i], '[') {
		if i > 0 && msg[i-1] != ' ' {
			continue
		}
		tries++
		inner := msg[i+1 : end]
		if n, ok := scanPairs(inner); ok && n > 0 {
			return trimSpace(msg[:i]), inner, n
		}
	}
	return msg, "", 0
}
