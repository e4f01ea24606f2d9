package parser

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// FuzzParse checks that no line panics the parser, that a line is either a
// filled record or reported with an error, and that every string that reaches
// the record is valid UTF-8 (exporters reject anything else).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		asterLine, astrocyteLine, aistackLine, "", "\r", "\uFEFF{}", "{\"a\":\"\xff\"}", `{"a":`, `[1]`, `7`,
		strings.Repeat(`{"a":`, 50) + "1" + strings.Repeat("}", 50), `{"a":1,"a":2}`, `{"msg":"{\"event\":1}"}`,
		`{"ts":1e400}`, `{"ts":"2026-02-29T10:00:00Z"}`, `{"s":"\ud800"}`, `{"level":30}`, "\x00\x01",
		`"s"`, `"`, `-0`, `01`, `1e400`, `[`, `[1,]`, `null`, `nul`, ` true `, "14:30:45.123 INFO x \u2014 y [a=1]",
	} {
		f.Add(s)
	}
	jsonParser := New(Options{MaxDepth: 8, Format: FormatJSON})
	autoParser := New(Options{MaxDepth: 8})
	f.Fuzz(func(t *testing.T, line string) {
		var notObject [2]bool
		for i, p := range []*Parser{jsonParser, autoParser} {
			lr := plog.NewLogRecord()
			res := p.Parse(line, lr)
			notObject[i] = res.Flags&FlagNotObject != 0
			if res.Err != nil {
				if res.Flags&(FlagEmpty|FlagInvalidJSON|FlagNotObject) == 0 {
					t.Fatalf("error without a flag: %v", res.Err)
				}
				if res.Flags&FlagEmpty == 0 {
					SetRaw(lr, res.Line, res.Err)
				}
			}
			if p == jsonParser && res.Flags&(FlagUnstructured|FlagHeader) != 0 {
				t.Fatalf("json format read text: %b", res.Flags)
			}
			checkRecordUTF8(t, lr, res)
		}
		// auto tells JSON that is not an object from text as the JSON parser does.
		if notObject[0] != notObject[1] {
			t.Fatalf("not_object: json %v, auto %v", notObject[0], notObject[1])
		}
	})
}

// FuzzParseMixed feeds files of mixed lines (JSON, every text shape,
// garbage, headers without or with broken messages) through the parser as
// the receiver does, in each format, and checks that every line ends in
// exactly one record (or is an empty line, or the message of the header
// before it), that a header never stays pending, that an unstructured line
// is its own body, that only JSON is an error, and that all strings are
// valid UTF-8.
func FuzzParseMixed(f *testing.F) {
	for _, s := range []string{
		mixedText,
		"2026-04-13 10:30:45 - a - INFO\n2026-04-13 10:30:46 - a - INFO\n\nr1 GET / 200 1ms",
		"2026-04-13 10:30:45 - a - INFO\r\n\xff\xfe\r\n",
		"14:30:45.123 INFO x \u2014 y [a='b c' d=[1, 'x]'] e=\"\\u00e9\"]",
		"\x1b[31m14:30:45 ERROR x \u2014 \x1b[0mboom\n\x1b[",
		"a='x\\' b=1\ntags=[a b\n=\n==\n[k=]",
		"23:59:60.999999999999 fatal - x\n00:00:00 INFO\n2026-02-29 00:00:00 - a - INFO - x",
		"{\"msg\":\"x\"}\n2026-04-13 10:30:45 - a - INFO\n{\"msg\":\"y\"}",
	} {
		f.Add(s)
	}
	observed := time.Date(2026, 4, 6, 0, 30, 0, 0, time.UTC)
	parsers := map[Format]*Parser{FormatAuto: New(Options{}), FormatJSON: New(Options{Format: FormatJSON}), FormatText: New(Options{Format: FormatText})}
	f.Fuzz(func(t *testing.T, data string) {
		lines := strings.Split(data, "\n")
		for format, p := range parsers {
			p.SetSource("app.log", observed)
			accounted := 0
			for i := 0; i < len(lines); i++ {
				lr := plog.NewLogRecord()
				res := p.Parse(lines[i], lr)
				accounted++
				if res.Flags&FlagHeader != 0 {
					if format == FormatJSON {
						t.Fatalf("json format read a header: %q", lines[i])
					}
					next := ""
					if i+1 < len(lines) {
						next = lines[i+1]
					}
					if p.Continue(next, lr, &res) {
						if i+1 == len(lines) {
							t.Fatalf("joined a line that is not there")
						}
						i++
						accounted++
					} else if res.Flags&FlagUnpairedHeader == 0 {
						t.Fatalf("header neither joined nor unpaired: %q", lines[i])
					}
				}
				if res.Flags&FlagHeader != 0 {
					t.Fatalf("header still pending: %q", lines[i])
				}
				switch {
				case res.Err != nil && format == FormatText && res.Flags&FlagEmpty == 0:
					t.Fatalf("text format failed: %q: %v", lines[i], res.Err)
				case res.Err != nil && res.Flags&(FlagEmpty|FlagInvalidJSON|FlagNotObject) == 0:
					t.Fatalf("error without a flag: %v", res.Err)
				case res.Err != nil && res.Flags&FlagEmpty == 0:
					SetRaw(lr, res.Line, res.Err)
				}
				if res.Flags&FlagUnstructured != 0 && lr.Body().Str() != whole(lines[i], res.Flags) {
					t.Fatalf("unstructured line %q not kept whole: %q", lines[i], lr.Body().Str())
				}
				checkRecordUTF8(t, lr, res)
			}
			if accounted != len(lines) {
				t.Fatalf("%d lines, %d accounted for", len(lines), accounted)
			}
		}
	})
}

func checkRecordUTF8(t *testing.T, lr plog.LogRecord, res Result) {
	t.Helper()
	checkUTF8(t, lr.Body())
	checkUTF8(t, pcommon.NewValueStr(lr.SeverityText()))
	checkUTF8(t, pcommon.NewValueStr(res.Scope))
	lr.Attributes().Range(func(k string, v pcommon.Value) bool {
		if !utf8.ValidString(k) {
			t.Fatalf("invalid key %q", k)
		}
		checkUTF8(t, v)
		return true
	})
}

func checkUTF8(t *testing.T, v pcommon.Value) {
	t.Helper()
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if !utf8.ValidString(v.Str()) {
			t.Fatalf("invalid UTF-8 %q", v.Str())
		}
	case pcommon.ValueTypeMap:
		v.Map().Range(func(k string, e pcommon.Value) bool {
			if !utf8.ValidString(k) {
				t.Fatalf("invalid key %q", k)
			}
			checkUTF8(t, e)
			return true
		})
	case pcommon.ValueTypeSlice:
		for i := 0; i < v.Slice().Len(); i++ {
			checkUTF8(t, v.Slice().At(i))
		}
	default:
	}
}
