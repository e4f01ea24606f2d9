// Package parser turns one access-log line into a plog.LogRecord: a JSON
// object, or one of the plain-text shapes described in text.go.
//
// It knows nothing of files or of the collector: it takes a line (without its
// terminating newline) and fills a record. It never fails in a way that loses
// the line: a line that is not a JSON object is reported through Result so the
// caller can keep it raw (see SetRaw), and a text line of no known shape
// becomes the body as it is. A text record may span two lines, a header and
// its message: Parse reports the header with FlagHeader, and Continue adds the
// line that follows.
package parser // import "github.com/redline-otel/redline/receiver/accesslogreceiver/internal/parser"

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Attribute keys the parser writes itself.
const (
	// AttrParseError holds why a line could not be parsed (its body is then the raw line).
	AttrParseError = "accesslog.parse_error"
)

// DefaultMaxDepth is the nesting depth kept as maps and slices; deeper values
// are kept as their JSON text so nothing is lost.
const DefaultMaxDepth = 16

// Flags record what was unusual about a line. Several can be set at once.
type Flags uint16

const (
	// FlagEmpty: the line was empty or only whitespace; no record is filled.
	FlagEmpty Flags = 1 << iota
	// FlagCRLF: the line ended in "\r\n"; the "\r" was removed.
	FlagCRLF
	// FlagBOM: the line started with a UTF-8 byte order mark; it was removed.
	FlagBOM
	// FlagInvalidUTF8: invalid bytes were replaced by U+FFFD.
	FlagInvalidUTF8
	// FlagInvalidJSON: the line is not valid JSON (Result.Err is set).
	FlagInvalidJSON
	// FlagNotObject: the line is valid JSON but not an object (Result.Err is set).
	FlagNotObject
	// FlagDepthCapped: values nested deeper than MaxDepth were kept as JSON text.
	FlagDepthCapped
	// FlagDuplicateKey: a key appeared twice in one object; the last one won.
	FlagDuplicateKey
	// FlagBadTimestamp: the time field could not be parsed; it was kept as an attribute.
	FlagBadTimestamp
	// FlagUnstructured: a text line of no known shape; the whole line is the body.
	FlagUnstructured
	// FlagHeader: the line is a header (time, logger, level) whose message is
	// on the next line; offer that line to Continue.
	FlagHeader
	// FlagUnpairedHeader: a header whose next line was not its message (or
	// there was no next line): the header is a record of its own.
	FlagUnpairedHeader
)

// Errors reported in Result.Err.
var (
	ErrEmpty     = errors.New("empty line")
	ErrNotObject = errors.New("line is JSON but not an object")
)

// Result describes one parsed line.
type Result struct {
	// Scope is the instrumentation scope name taken from the `logger` field ("" if none).
	Scope string
	Flags Flags
	// Err is set when the record was not filled: ErrEmpty, ErrNotObject, or a JSON syntax error.
	Err error
	// Line is the cleaned line (BOM, "\r" and surrounding whitespace removed,
	// invalid UTF-8 replaced): what SetRaw should keep when Err is set.
	Line string
}

// Format says which syntaxes a Parser reads.
type Format uint8

// Format values.
const (
	// FormatAuto reads a line that starts with "{" or is valid JSON as
	// FormatJSON does, and every other line as FormatText does.
	FormatAuto Format = iota
	// FormatJSON reads JSON objects only; anything else is an error.
	FormatJSON
	// FormatText reads the text shapes only (a JSON line is unstructured text).
	FormatText
)

// Options tune a Parser.
type Options struct {
	// Format is the syntax of the lines (FormatAuto when zero).
	Format Format
	// MaxDepth is the deepest nesting kept as structure (0 means DefaultMaxDepth).
	MaxDepth int
	// ExtraAttrs is how many attributes the caller adds to each record after
	// Parse (file name, offset...): the attribute slice is sized for them so
	// that adding them does not reallocate it.
	ExtraAttrs int
}

// Parser fills log records from lines. It is not safe for concurrent use:
// give each goroutine its own.
type Parser struct {
	maxDepth   int
	extraAttrs int
	format     Format
	day        day // what a time-only stamp is combined with (see SetSource)
	outer      fastjson.Parser
	inner      fastjson.Parser // for a `msg` that is itself a JSON object
	scratch    []byte
	intern     map[string]string
}

// maxInterned bounds the intern table so hostile input cannot grow it forever.
const maxInterned = 4096

// New returns a Parser.
func New(opts Options) *Parser {
	d := opts.MaxDepth
	if d <= 0 {
		d = DefaultMaxDepth
	}
	return &Parser{maxDepth: d, extraAttrs: max(0, opts.ExtraAttrs), format: opts.Format, intern: make(map[string]string, 64)}
}

// state is per call: the string that backs the values and where fastjson's
// copy of it starts, so that values without escapes can be taken as
// substrings of the line instead of copies (see str).
type state struct {
	src      string
	base     uintptr
	baseSet  bool
	firstKey int // index of the first key's opening quote in src
	flags    Flags

	// A `msg` holding a JSON object is parsed once, by attrCount (to size
	// the attributes), and used by setBody: innerSrc is the value it came
	// from, innerMsg its text, innerObj the object (nil if not one).
	innerSrc *fastjson.Value
	innerMsg string
	innerObj *fastjson.Object
}

// Parse fills lr from raw, one line without its terminating "\n". Strings
// in lr may share memory with raw, so raw must not be modified afterwards (a
// Go string never is). When the result has FlagHeader, pass the next line to
// Continue.
func (p *Parser) Parse(raw string, lr plog.LogRecord) Result {
	var res Result
	line := raw
	if len(raw) > 1 && raw[0] == '{' && raw[len(raw)-1] == '}' && utf8.ValidString(raw) {
		// A JSON object line, as most are: nothing for clean to do.
		res.Line = line
	} else if line = clean(raw, &res); res.Err != nil {
		return res
	}
	if line[0] != '{' || p.format == FormatText {
		if p.format != FormatJSON {
			p.parseText(raw, line, lr, &res)
			return res
		}
		// Valid JSON that is not an object (array, number, string...) or garbage.
		p.notObject(line, &res)
		return res
	}
	v, err := p.outer.Parse(line)
	if err != nil {
		res.Flags |= FlagInvalidJSON
		res.Err = err
		return res
	}
	obj, _ := v.Object()
	st := state{src: line, firstKey: strings.IndexByte(line, '"')}
	res.Scope = p.fillRecord(&st, obj, lr)
	res.Flags |= st.flags
	return res
}

// notObject reports a line that is not a JSON object: ErrNotObject if it
// is other JSON, the syntax error otherwise.
func (p *Parser) notObject(line string, res *Result) {
	if _, err := p.outer.Parse(line); err != nil {
		res.Flags |= FlagInvalidJSON
		res.Err = err
	} else {
		res.Flags |= FlagNotObject
		res.Err = ErrNotObject
	}
}

// clean removes a trailing "\r", a byte order mark and surrounding
// whitespace and replaces invalid UTF-8, and returns what is left, also in
// res.Line, with the flags of what it did in res; res.Err is ErrEmpty when
// nothing is left.
func clean(line string, res *Result) string {
	if strings.HasSuffix(line, "\r") {
		line = line[:len(line)-1]
		res.Flags |= FlagCRLF
	}
	if strings.HasPrefix(line, "\uFEFF") {
		line = line[3:]
		res.Flags |= FlagBOM
	}
	line = trimSpace(line)
	if line == "" {
		res.Flags |= FlagEmpty
		res.Err = ErrEmpty
		return ""
	}
	if !utf8.ValidString(line) {
		line = strings.ToValidUTF8(line, "\uFFFD")
		res.Flags |= FlagInvalidUTF8
	}
	res.Line = line
	return line
}

// SetRaw keeps an unparsed line: the body is the line and AttrParseError tells why.
func SetRaw(lr plog.LogRecord, line string, err error) {
	lr.Body().SetStr(line)
	msg := "parse error"
	if err != nil {
		msg = err.Error()
	}
	lr.Attributes().PutStr(AttrParseError, msg)
}

// claim remembers which alias of a record field was used, so that a second
// alias (`ts` and `time` on one line) is kept as an attribute rather than
// overwriting the first, while a repeated key still lets the last one win.
type claim struct{ key string }

func (c *claim) take(k string) bool {
	if c.key == "" || c.key == k {
		c.key = k
		return true
	}
	return false
}

func (p *Parser) fillRecord(st *state, obj *fastjson.Object, lr plog.LogRecord) (scope string) {
	attrs := lr.Attributes()
	// The attribute slice is allocated once, at its final size: it is the
	// largest allocation of a record, and a regrowth would copy it.
	attrs.EnsureCapacity(p.attrCount(st, obj) + p.extraAttrs)
	var tsC, sevC, bodyC, scopeC, traceC, spanC claim
	obj.Visit(func(kb []byte, v *fastjson.Value) {
		k := p.key(st, kb)
		switch k {
		case "ts", "timestamp", "time":
			if tsC.take(k) {
				if t, ok := timestampOf(v); ok {
					lr.SetTimestamp(pcommon.Timestamp(t))
					if st.flags&FlagBadTimestamp != 0 {
						attrs.Remove(k) // an earlier unparseable duplicate
					}
					return
				}
				st.flags |= FlagBadTimestamp
			}
		case "level", "severity", "lvl":
			if sevC.take(k) {
				if p.setSeverity(st, v, lr) {
					return
				}
			}
		case "msg", "message":
			if bodyC.take(k) {
				p.setBody(st, v, lr, attrs)
				return
			}
		case "logger":
			if v.Type() == fastjson.TypeString && scopeC.take(k) {
				b, _ := v.StringBytes()
				scope = p.str(st, b)
				return
			}
		case "trace_id":
			if v.Type() == fastjson.TypeString && traceC.take(k) {
				b, _ := v.StringBytes()
				var id pcommon.TraceID
				if decodeHex(id[:], b) {
					lr.SetTraceID(id)
					return
				}
			}
		case "span_id":
			if v.Type() == fastjson.TypeString && spanC.take(k) {
				b, _ := v.StringBytes()
				var id pcommon.SpanID
				if decodeHex(id[:], b) {
					lr.SetSpanID(id)
					return
				}
			}
		}
		p.putValue(st, attrs, k, v, 1)
	})
	return scope
}

// attrCount predicts how many attributes obj yields: its fields, minus those
// that usually become the record's own (time, level, message, logger, IDs),
// plus the fields of a JSON `msg` minus its `event`. A wrong guess (a level
// that is an object, say) only costs a regrowth. The JSON `msg` parsed here
// is kept in st for setBody.
func (p *Parser) attrCount(st *state, obj *fastjson.Object) int {
	n := obj.Len()
	bodySeen := false
	obj.Visit(func(k []byte, v *fastjson.Value) {
		p.setBase(st, k)
		switch string(k) {
		case "ts", "timestamp", "time", "level", "severity", "lvl", "logger", "trace_id", "span_id":
			n--
		case "msg", "message":
			n--
			if bodySeen || v.Type() != fastjson.TypeString {
				return
			}
			bodySeen = true
			p.parseInner(st, v)
			if st.innerObj != nil {
				n += st.innerObj.Len()
				if ev := st.innerObj.Get("event"); ev != nil && ev.Type() == fastjson.TypeString {
					n--
				}
			}
		}
	})
	return max(n, 0)
}

// parseInner parses a string `msg` that may hold a JSON object into st.
func (p *Parser) parseInner(st *state, v *fastjson.Value) {
	b, _ := v.StringBytes()
	msg := p.str(st, b)
	st.innerSrc, st.innerMsg, st.innerObj = v, msg, nil
	if len(msg) < 2 || msg[0] != '{' || msg[len(msg)-1] != '}' {
		return
	}
	inner, err := p.inner.Parse(msg)
	if err != nil {
		return
	}
	st.innerObj, _ = inner.Object()
}

// setBody maps `msg`. A string that holds a JSON object (an escaped JSON
// document inside the msg string) has its fields lifted into attributes;
// its `event`, if a string, becomes the body, otherwise the string itself
// stays the body.
func (p *Parser) setBody(st *state, v *fastjson.Value, lr plog.LogRecord, attrs pcommon.Map) {
	if v.Type() != fastjson.TypeString {
		p.setValue(st, lr.Body(), v, 1)
		return
	}
	if st.innerSrc != v {
		// Not the one attrCount parsed (a repeated or second body key).
		p.parseInner(st, v)
	}
	msg, obj := st.innerMsg, st.innerObj
	if obj == nil {
		lr.Body().SetStr(msg)
		return
	}
	ist := state{src: msg, firstKey: strings.IndexByte(msg, '"')}
	bodySet := false
	obj.Visit(func(kb []byte, iv *fastjson.Value) {
		k := p.key(&ist, kb)
		if k == "event" && iv.Type() == fastjson.TypeString {
			eb, _ := iv.StringBytes()
			lr.Body().SetStr(p.str(&ist, eb))
			bodySet = true
			return
		}
		p.putValue(&ist, attrs, k, iv, 1)
	})
	st.flags |= ist.flags
	if !bodySet {
		lr.Body().SetStr(msg)
	}
}

func (p *Parser) setSeverity(st *state, v *fastjson.Value, lr plog.LogRecord) bool {
	switch v.Type() {
	case fastjson.TypeString:
		// The text is kept as written even when the number is unknown.
		b, _ := v.StringBytes()
		lr.SetSeverityText(p.str(st, b))
		lr.SetSeverityNumber(severityOf(b))
		return true
	case fastjson.TypeNumber:
		// pino/bunyan numeric levels: 10 trace ... 60 fatal.
		i, err := v.Int()
		if err != nil {
			return false
		}
		n, text := numericSeverity(i)
		if n == plog.SeverityNumberUnspecified {
			return false
		}
		lr.SetSeverityText(text)
		lr.SetSeverityNumber(n)
		return true
	default:
		return false
	}
}

// putValue stores v under k, last key winning.
func (p *Parser) putValue(st *state, m pcommon.Map, k string, v *fastjson.Value, depth int) {
	before := m.Len()
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		m.PutStr(k, p.str(st, b))
	case fastjson.TypeNumber:
		p.putNumber(st, m, k, v)
	case fastjson.TypeTrue:
		m.PutBool(k, true)
	case fastjson.TypeFalse:
		m.PutBool(k, false)
	case fastjson.TypeNull:
		m.PutEmpty(k)
	default:
		p.setValue(st, m.PutEmpty(k), v, depth)
	}
	if m.Len() == before {
		st.flags |= FlagDuplicateKey
	}
}

func (p *Parser) putNumber(st *state, m pcommon.Map, k string, v *fastjson.Value) {
	raw := v.MarshalTo(p.scratch[:0])
	p.scratch = raw
	if isIntegral(raw) {
		if i, ok := parseInt(raw); ok {
			m.PutInt(k, i)
			return
		}
		// Too big for int64: a double would silently round it, so keep the digits.
		m.PutStr(k, string(raw))
		return
	}
	f, err := v.Float64()
	if err != nil {
		m.PutStr(k, string(raw))
		return
	}
	m.PutDouble(k, f)
}

// setValue writes any JSON value into dst.
func (p *Parser) setValue(st *state, dst pcommon.Value, v *fastjson.Value, depth int) {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		dst.SetStr(p.str(st, b))
	case fastjson.TypeNumber:
		raw := v.MarshalTo(p.scratch[:0])
		p.scratch = raw
		if isIntegral(raw) {
			if i, ok := parseInt(raw); ok {
				dst.SetInt(i)
				return
			}
			dst.SetStr(string(raw))
			return
		}
		if f, err := v.Float64(); err == nil {
			dst.SetDouble(f)
		} else {
			dst.SetStr(string(raw))
		}
	case fastjson.TypeTrue:
		dst.SetBool(true)
	case fastjson.TypeFalse:
		dst.SetBool(false)
	case fastjson.TypeNull:
		// An empty value is pdata's null.
	case fastjson.TypeObject:
		if depth >= p.maxDepth {
			p.setJSONText(st, dst, v)
			return
		}
		obj, _ := v.Object()
		m := dst.SetEmptyMap()
		m.EnsureCapacity(obj.Len())
		obj.Visit(func(kb []byte, cv *fastjson.Value) {
			p.putValue(st, m, p.key(st, kb), cv, depth+1)
		})
	case fastjson.TypeArray:
		if depth >= p.maxDepth {
			p.setJSONText(st, dst, v)
			return
		}
		arr, _ := v.Array()
		s := dst.SetEmptySlice()
		s.EnsureCapacity(len(arr))
		for _, e := range arr {
			p.setValue(st, s.AppendEmpty(), e, depth+1)
		}
	}
}

func (p *Parser) setJSONText(st *state, dst pcommon.Value, v *fastjson.Value) {
	st.flags |= FlagDepthCapped
	dst.SetStr(string(v.MarshalTo(nil)))
}

// key returns an attribute key for kb: a substring of the line when possible,
// otherwise an interned copy.
func (p *Parser) key(st *state, kb []byte) string {
	p.setBase(st, kb)
	if s, ok := p.sub(st, kb); ok {
		return s
	}
	if s, ok := p.intern[string(kb)]; ok {
		return s
	}
	s := string(kb)
	if len(p.intern) < maxInterned {
		p.intern[s] = s
	}
	return s
}

// setBase locates fastjson's copy of st.src from the first key it is given.
func (*Parser) setBase(st *state, kb []byte) {
	if !st.baseSet && st.firstKey >= 0 {
		// fastjson copies the input and keys point into that copy: the first
		// key tells where the copy starts. sub verifies every use of it.
		st.base = uintptr(unsafe.Pointer(unsafe.SliceData(kb))) - uintptr(st.firstKey+1)
		st.baseSet = true
	}
}

// str returns b as a string, without copying when b is an unescaped piece of
// the line.
func (p *Parser) str(st *state, b []byte) string {
	if s, ok := p.sub(st, b); ok {
		return s
	}
	return string(b)
}

// sub maps b, which points into fastjson's copy of st.src, back onto st.src.
// The content check makes this correct whatever fastjson does internally: a
// mismatch (an unescaped string, or a wrong base) just falls back to a copy.
func (p *Parser) sub(st *state, b []byte) (string, bool) {
	if len(b) == 0 {
		return "", true
	}
	if !st.baseSet {
		return "", false
	}
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - st.base)
	if off < 0 || off > len(st.src)-len(b) {
		return "", false
	}
	s := st.src[off : off+len(b)]
	if s != unsafe.String(unsafe.SliceData(b), len(b)) {
		return "", false
	}
	return s, true
}

// parseInt reads a JSON integer. Up to 18 digits cannot overflow and are
// summed directly (most numbers in a log line); longer ones go to strconv,
// which reports what does not fit in an int64.
func parseInt(raw []byte) (int64, bool) {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		i, err := strconv.ParseInt(unsafe.String(unsafe.SliceData(raw), len(raw)), 10, 64)
		return i, err == nil
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(raw) {
		n = -n
	}
	return n, true
}

func isIntegral(raw []byte) bool {
	for _, c := range raw {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n') {
		s = s[1:]
	}
	for len(s) > 0 {
		c := s[len(s)-1]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

func decodeHex(dst, src []byte) bool {
	if len(src) != 2*len(dst) {
		return false
	}
	allZero := true
	for i := range dst {
		hi, ok1 := unhex(src[2*i])
		lo, ok2 := unhex(src[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
		if dst[i] != 0 {
			allZero = false
		}
	}
	// An all-zero ID is invalid in OTLP: keep it as an attribute instead.
	return !allZero
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
