package parser

import (
	"strings"
	"testing"
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
	} {
		f.Add(s)
	}
	p := New(Options{MaxDepth: 8})
	f.Fuzz(func(t *testing.T, line string) {
		lr := plog.NewLogRecord()
		res := p.Parse(line, lr)
		if res.Err != nil {
			if res.Flags&(FlagEmpty|FlagInvalidJSON|FlagNotObject) == 0 {
				t.Fatalf("error without a flag: %v", res.Err)
			}
			if res.Flags&FlagEmpty == 0 {
				SetRaw(lr, res.Line, res.Err)
			}
		}
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
