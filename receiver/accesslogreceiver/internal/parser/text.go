package parser

import (
	"strconv"
	"strings"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// The text shapes, tried in this order on a line that is not read as JSON:
//
//	stamped line  <stamp> <LEVEL> [<logger> <sep>] <message>
//	              14:30:45.123 INFO  server — connection opened [svc=Hello req=abc12345]
//	dashed line   <stamp> - <logger> - <LEVEL> [- <message>]
//	              2026-04-13 10:30:45,123 - app.db - WARNING - pool exhausted
//	header        a dashed line that ends after its level: its message is the
//	              next line (see Continue)
//	              2026-04-13 10:30:45 - gateway.access - INFO
//	access entry  [<request id>] <METHOD> <path> <status> <duration><unit>
//	              a1b2c3d4-e5f6-7890-abcd-ef1234567890 POST /v1/recall 200 45.23ms
//	pairs         key=value ... (values bare, 'quoted' or "quoted")
//	              source_id='github_issues' event='poll_started' interval_seconds=3600
//
// <stamp> is a time of day (HH:MM:SS[.fraction], see SetSource for its date)
// or a date and time as ParseTime reads them; <sep> is an em dash, an en dash
// or a hyphen between spaces. A message (of a stamped or dashed line, or the
// line after a header) is read as an access entry, as pairs, or as text with
// an optional "[k=v ...]" tail, tried in that order (see fillMessage).
// Anything else is kept whole as the body (FlagUnstructured).

// textLine is a stamped or dashed line, split into its parts. Its strings
// are substrings of the line.
type textLine struct {
	ts     uint64 // Unix ns
	level  string
	logger string
	msg    string
	header bool // a dashed line that ends after its level
}

// parseText fills lr from line, a cleaned raw line that is not read as JSON.
func (p *Parser) parseText(raw, line string, lr plog.LogRecord, res *Result) {
	s := stripANSI(line)
	if tl, ok := p.matchLine(s); ok {
		lr.SetTimestamp(pcommon.Timestamp(tl.ts))
		setTextSeverity(lr, tl.level)
		res.Scope = tl.logger
		if tl.header {
			res.Flags |= FlagHeader
			return
		}
		p.fillMessage(tl.msg, lr, res)
		return
	}
	if p.fillAccess(s, lr) {
		return
	}
	if n, ok := scanPairs(s); ok && n > 0 {
		lr.Attributes().EnsureCapacity(n + p.extraAttrs)
		p.putPairs(s, lr, res, pairsRecord)
		return
	}
	if p.format == FormatAuto && p.isOtherJSON(line) {
		// JSON that is not an object (an array, a number...) is reported as
		// with FormatJSON.
		res.Flags |= FlagNotObject
		res.Err = ErrNotObject
		return
	}
	res.Flags |= FlagUnstructured
	lr.Body().SetStr(whole(raw, res.Flags))
}

// whole is raw as an unstructured body: only the "\r" of a CRLF ending and a
// byte order mark are removed (flags say which), and invalid UTF-8 replaced;
// indentation and other spaces stay.
func whole(raw string, f Flags) string {
	if f&FlagCRLF != 0 {
		raw = raw[:len(raw)-1]
	}
	if f&FlagBOM != 0 {
		raw = raw[3:]
	}
	if f&FlagInvalidUTF8 != 0 {
		raw = strings.ToValidUTF8(raw, "\uFFFD")
	}
	return raw
}

// isOtherJSON reports whether line is JSON but not an object, as the JSON
// parser sees it (it also takes NaN, Inf and any run of number characters
// as a number). Lines that cannot be are told apart by their bytes first,
// without the cost of a failed parse (fastjson formats an error).
func (p *Parser) isOtherJSON(line string) bool {
	if !mayBeOtherJSON(line) {
		return false
	}
	_, err := p.outer.Parse(line)
	return err == nil
}

func mayBeOtherJSON(s string) bool {
	switch s[0] {
	case '[':
		return s[len(s)-1] == ']'
	case '"':
		return len(s) >= 2 && s[len(s)-1] == '"'
	}
	if len(s) <= len("false") {
		return true // true, null, nan, -inf, a short number...
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return false
		}
	}
	return true
}

// Continue completes a record whose Result has FlagHeader with next, the
// line that follows the header in the file ("" when there is none). It
// reports whether next was the header's message and so belongs to this
// record: it is not when it is empty, a JSON object (unless the format is
// FormatText), or a stamped or dashed line of its own. Either way the header
// is done: FlagHeader is cleared, and FlagUnpairedHeader set when next was
// not its message.
func (p *Parser) Continue(next string, lr plog.LogRecord, res *Result) bool {
	if res.Flags&FlagHeader == 0 {
		return false
	}
	res.Flags &^= FlagHeader
	var c Result
	line := clean(next, &c)
	if c.Err != nil || (line[0] == '{' && p.format != FormatText) {
		res.Flags |= FlagUnpairedHeader
		return false
	}
	msg := stripANSI(line)
	if _, ok := p.matchLine(msg); ok {
		res.Flags |= FlagUnpairedHeader
		return false
	}
	res.Flags |= c.Flags
	p.fillMessage(msg, lr, res)
	return true
}

// matchLine splits a stamped or dashed line.
func (p *Parser) matchLine(s string) (textLine, bool) {
	var tl textLine
	ts, rest, ok := p.stamp(s)
	if !ok {
		return tl, false
	}
	tl.ts = ts
	rest = skipSpaces(rest)
	if strings.HasPrefix(rest, "- ") {
		// Dashed: - <logger> - <LEVEL> [- <message>]
		rest = rest[2:]
		i := strings.Index(rest, " - ")
		if i <= 0 || strings.IndexByte(rest[:i], ' ') >= 0 {
			return tl, false
		}
		tl.logger, rest = rest[:i], rest[i+3:]
		tl.level, rest = nextToken(rest)
		if !isLevel(tl.level) {
			return tl, false
		}
		if rest == "" {
			tl.header = true
			return tl, true
		}
		rest = skipSpaces(rest)
		if !strings.HasPrefix(rest, "- ") && rest != "-" {
			return tl, false
		}
		tl.msg = skipSpaces(rest[1:])
		return tl, true
	}
	// Stamped: <LEVEL> [<logger> <sep>] <message>
	tl.level, rest = nextToken(rest)
	if !isLevel(tl.level) {
		return tl, false
	}
	rest = skipSpaces(rest)
	if after, ok := cutSeparator(rest); ok {
		tl.msg = after
		return tl, true
	}
	if tok, after := nextToken(rest); tok != "" {
		if msg, ok := cutSeparator(skipSpaces(after)); ok {
			tl.logger, tl.msg = tok, msg
			return tl, true
		}
	}
	tl.msg = rest
	return tl, true
}

// stamp reads the time stamp that starts s and returns what follows it
// (which must start with a space).
func (p *Parser) stamp(s string) (ts uint64, rest string, ok bool) {
	switch {
	case len(s) >= 9 && s[2] == ':':
		// A time of day.
		end := spaceAt(s)
		if end < 0 {
			return 0, "", false
		}
		ns, ok := parseClock(s[:end])
		if !ok {
			return 0, "", false
		}
		return p.clockTime(ns), s[end:], true
	case len(s) >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't' || s[10] == ' '):
		// A date and a time, one token or two.
		end := spaceAt(s[11:])
		if end < 0 {
			return 0, "", false
		}
		end += 11
		t, ok := ParseTime(bytesOf(s[:end]))
		if !ok {
			return 0, "", false
		}
		return t, s[end:], true
	}
	return 0, "", false
}

// fillMessage maps the message of a text record: an access entry, pairs (see
// putPairs; the message is the body unless a pair names one), or text with
// an optional "[k=v ...]" tail whose pairs become attributes.
func (p *Parser) fillMessage(msg string, lr plog.LogRecord, res *Result) {
	if msg == "" {
		return
	}
	if p.fillAccess(msg, lr) {
		return
	}
	if n, ok := scanPairs(msg); ok && n > 0 {
		lr.Attributes().EnsureCapacity(n + p.extraAttrs)
		if !p.putPairs(msg, lr, res, pairsMessage) {
			lr.Body().SetStr(msg)
		}
		return
	}
	text, tail, n := splitTail(msg)
	if n > 0 {
		lr.Attributes().EnsureCapacity(n + p.extraAttrs)
		p.putPairs(tail, lr, res, pairsTail)
	}
	if text != "" {
		lr.Body().SetStr(text)
	}
}

// Attribute keys of an access entry: the names the JSON access logs use for
// the same fields, which the redmetrics processor reads.
const (
	attrRequestID  = "request_id"
	attrMethod     = "method"
	attrPath       = "path"
	attrStatusCode = "status_code"
	attrDurationMS = "duration_ms"
)

// fillAccess fills lr if s is an access entry:
// [<request id>] <METHOD> <path> <status> <duration><unit>. The entry stays
// the body.
func (p *Parser) fillAccess(s string, lr plog.LogRecord) bool {
	var tok [6]string
	n := 0
	for rest := s; rest != ""; n++ {
		if n == len(tok) {
			return false
		}
		tok[n], rest = nextToken(rest)
		if tok[n] == "" {
			return false
		}
		rest = skipSpaces(rest)
	}
	var id string
	switch n {
	case 5:
		id = tok[0]
		copy(tok[:4], tok[1:5])
	case 4:
	default:
		return false
	}
	method, path, statusText, durText := tok[0], tok[1], tok[2], tok[3]
	if !isHTTPMethod(method) || !isPath(path) {
		return false
	}
	status, ok := parseStatus(statusText)
	if !ok {
		return false
	}
	ms, ok := parseDurationMS(durText)
	if !ok {
		return false
	}
	attrs := lr.Attributes()
	attrs.EnsureCapacity(n + p.extraAttrs)
	if id != "" {
		attrs.PutStr(attrRequestID, id)
	}
	attrs.PutStr(attrMethod, method)
	attrs.PutStr(attrPath, path)
	attrs.PutInt(attrStatusCode, status)
	attrs.PutDouble(attrDurationMS, ms)
	lr.Body().SetStr(s)
	return true
}

func isHTTPMethod(s string) bool {
	switch s {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE":
		return true
	}
	return false
}

func isPath(s string) bool {
	return strings.HasPrefix(s, "/") || s == "*" || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// parseStatus reads an HTTP status code, 100 to 599.
func parseStatus(s string) (int64, bool) {
	if len(s) != 3 {
		return 0, false
	}
	n, ok := digits(bytesOf(s))
	if !ok || n < 100 || n > 599 {
		return 0, false
	}
	return int64(n), true
}

// parseDurationMS reads a number with a unit (ns, us, µs, ms, s) as
// milliseconds. The unit is applied as a decimal exponent before the number
// is rounded to a float64, so that "8.0125s" is 8012.5, not 8012.499….
func parseDurationMS(s string) (float64, bool) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 || i > 40 {
		return 0, false
	}
	var exp string
	switch s[i:] {
	case "ms":
		exp = "e0"
	case "s":
		exp = "e3"
	case "us", "µs":
		exp = "e-3"
	case "ns":
		exp = "e-6"
	default:
		return 0, false
	}
	if !isDecimal(s[:i]) {
		return 0, false
	}
	var buf [48]byte
	b := append(append(buf[:0], s[:i]...), exp...)
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	return f, err == nil
}

// isDecimal reports whether s is digits with an optional fraction.
func isDecimal(s string) bool {
	dot := strings.IndexByte(s, '.')
	if dot == 0 || dot == len(s)-1 || strings.Count(s, ".") > 1 {
		return false
	}
	return true
}

// parseClock reads HH:MM:SS[.fraction] (or ",fraction") as nanoseconds
// since midnight.
func parseClock(s string) (int64, bool) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, false
	}
	b := bytesOf(s)
	h, ok1 := digits(b[0:2])
	m, ok2 := digits(b[3:5])
	sec, ok3 := digits(b[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return 0, false
	}
	ns := int64(h*3600+m*60+sec) * 1e9
	b = b[8:]
	if len(b) == 0 {
		return ns, true
	}
	if b[0] != '.' && b[0] != ',' || len(b) == 1 {
		return 0, false
	}
	scale := int64(100_000_000)
	for _, c := range b[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		ns += int64(c-'0') * scale
		scale /= 10
	}
	return ns, true
}

// isLevel reports whether s is a level name severityOf knows.
func isLevel(s string) bool {
	return s != "" && severityOf(bytesOf(s)) != plog.SeverityNumberUnspecified
}

func setTextSeverity(lr plog.LogRecord, level string) {
	lr.SetSeverityText(level)
	lr.SetSeverityNumber(severityOf(bytesOf(level)))
}

// cutSeparator returns what follows a leading separator: an em dash, an en
// dash or a hyphen, then a space or the end of s.
func cutSeparator(s string) (string, bool) {
	for _, sep := range [...]string{"\u2014", "\u2013", "-"} {
		if rest, ok := strings.CutPrefix(s, sep); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return skipSpaces(rest), true
		}
	}
	return "", false
}

// nextToken splits s at its first space or tab.
func nextToken(s string) (tok, rest string) {
	if i := spaceAt(s); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// spaceAt is the index of the first space or tab in s, -1 if none.
func spaceAt(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			return i
		}
	}
	return -1
}

func skipSpaces(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// stripANSI removes terminal escape sequences (colours) from s; most lines
// have none and are returned as they are.
func stripANSI(s string) string {
	if strings.IndexByte(s, 0x1b) < 0 {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b {
			sb.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '[' {
			// CSI: parameters and intermediates, then one final byte.
			j := i + 2
			for j < len(s) && s[j] >= 0x20 && s[j] <= 0x3f {
				j++
			}
			if j < len(s) && s[j] >= 0x40 && s[j] <= 0x7e {
				i = j
				continue
			}
		}
		// A lone escape: dropped.
	}
	return trimSpace(sb.String())
}

// bytesOf views s as bytes for the []byte helpers, which only read them.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
