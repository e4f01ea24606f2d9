package parser

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Seed shapes, one line of each (see examples/logs).
const (
	asterLine     = `{"ts":"2026-04-06T14:30:46.002Z","level":"warning","logger":"aster.server","msg":"rpc failed","service":"Ledger","method":"getContract","request_id":"b7c1d2e3","contract_id":"c0ffee00deadbeef1234567890abcdef","duration_ms":12.7,"status_code":"NOT_FOUND","error":"contract not found","error_type":"NotFoundError"}`
	astrocyteLine = `{"timestamp":"2026-04-13T10:30:47.250000+00:00","level":"WARNING","logger":"astrocyte_gateway.access","msg":"{\"event\": \"http_request\", \"request_id\": \"a1b2c3d6\", \"method\": \"POST\", \"path\": \"/v1/retain\", \"status_code\": 429, \"duration_ms\": 0.8, \"client\": \"user@example.com\"}"}`
	aistackLine   = `{"ts":"2026-05-08T09:12:04.020Z","request_id":"videocraft-7781-step-2","category":"llm","model":"qwen2.5-7b","method":"POST","path":"/v1/chat/completions","status":200,"latency_ms":1830.2,"extra":{"provider":"vllm","input_tokens":512,"output_tokens":128,"cost_usd":0.00042},"request_headers":{"Cookie":"session=9f8e7d6c5b4a","User-Agent":"httpx/0.27"}}`
)

func parse(t *testing.T, line string) (plog.LogRecord, Result) {
	t.Helper()
	return parseAs(t, FormatJSON, line)
}

func parseAs(t *testing.T, format Format, line string) (plog.LogRecord, Result) {
	t.Helper()
	lr := plog.NewLogRecord()
	res := New(Options{Format: format}).Parse(line, lr)
	return lr, res
}

func ts(t *testing.T, s string) pcommon.Timestamp {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return pcommon.NewTimestampFromTime(tm)
}

func TestParseSeedShapes(t *testing.T) {
	t.Run("aster", func(t *testing.T) {
		lr, res := parse(t, asterLine)
		require.NoError(t, res.Err)
		assert.Equal(t, "aster.server", res.Scope)
		assert.Equal(t, ts(t, "2026-04-06T14:30:46.002Z"), lr.Timestamp())
		assert.Equal(t, "warning", lr.SeverityText())
		assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
		assert.Equal(t, "rpc failed", lr.Body().Str())
		assert.Equal(t, map[string]any{
			"service": "Ledger", "method": "getContract", "request_id": "b7c1d2e3",
			"contract_id": "c0ffee00deadbeef1234567890abcdef", "duration_ms": 12.7,
			"status_code": "NOT_FOUND", "error": "contract not found", "error_type": "NotFoundError",
		}, lr.Attributes().AsRaw())
		assert.Zero(t, res.Flags)
	})
	t.Run("astrocyte lifts the JSON message", func(t *testing.T) {
		lr, res := parse(t, astrocyteLine)
		require.NoError(t, res.Err)
		assert.Equal(t, "astrocyte_gateway.access", res.Scope)
		assert.Equal(t, ts(t, "2026-04-13T10:30:47.25Z"), lr.Timestamp())
		assert.Equal(t, "WARNING", lr.SeverityText())
		assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
		assert.Equal(t, "http_request", lr.Body().Str())
		assert.Equal(t, map[string]any{
			"request_id": "a1b2c3d6", "method": "POST", "path": "/v1/retain",
			"status_code": int64(429), "duration_ms": 0.8, "client": "user@example.com",
		}, lr.Attributes().AsRaw())
	})
	t.Run("aistack keeps types and nesting", func(t *testing.T) {
		lr, res := parse(t, aistackLine)
		require.NoError(t, res.Err)
		assert.Empty(t, res.Scope)
		assert.Equal(t, ts(t, "2026-05-08T09:12:04.020Z"), lr.Timestamp())
		assert.Equal(t, pcommon.ValueTypeEmpty, lr.Body().Type())
		assert.Equal(t, map[string]any{
			"request_id": "videocraft-7781-step-2", "category": "llm", "model": "qwen2.5-7b",
			"method": "POST", "path": "/v1/chat/completions", "status": int64(200), "latency_ms": 1830.2,
			"extra":           map[string]any{"provider": "vllm", "input_tokens": int64(512), "output_tokens": int64(128), "cost_usd": 0.00042},
			"request_headers": map[string]any{"Cookie": "session=9f8e7d6c5b4a", "User-Agent": "httpx/0.27"},
		}, lr.Attributes().AsRaw())
	})
}

func TestParseBadInput(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)
	tests := []struct {
		name      string
		line      string
		wantFlags Flags
		wantErr   bool
		// autoFlags, when set, are the flags with FormatAuto, which keeps
		// such a line whole as the body without an error; otherwise
		// FormatAuto must do exactly what FormatJSON does.
		autoFlags Flags
		check     func(t *testing.T, lr plog.LogRecord, res Result)
	}{
		{name: "empty", line: "", wantFlags: FlagEmpty, wantErr: true},
		{name: "whitespace", line: " \t ", wantFlags: FlagEmpty, wantErr: true},
		{name: "crlf only", line: "\r", wantFlags: FlagEmpty | FlagCRLF, wantErr: true},
		{
			name: "crlf", line: `{"msg":"hi"}` + "\r", wantFlags: FlagCRLF,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) { assert.Equal(t, "hi", lr.Body().Str()) },
		},
		{
			name: "bom", line: "\uFEFF" + `{"msg":"hi"}`, wantFlags: FlagBOM,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) { assert.Equal(t, "hi", lr.Body().Str()) },
		},
		{
			name: "invalid utf8 replaced", line: "{\"msg\":\"a\xff\xfeb\"}", wantFlags: FlagInvalidUTF8,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) { assert.Equal(t, "a\uFFFDb", lr.Body().Str()) },
		},
		{
			name: "truncated json", line: `{"msg":"hi","status":2`, wantFlags: FlagInvalidJSON, wantErr: true,
			check: func(t *testing.T, _ plog.LogRecord, res Result) { assert.Equal(t, `{"msg":"hi","status":2`, res.Line) },
		},
		{name: "array", line: `[1,2,3]`, wantFlags: FlagNotObject, wantErr: true},
		{name: "number", line: `42`, wantFlags: FlagNotObject, wantErr: true},
		{name: "string", line: `"hello"`, wantFlags: FlagNotObject, wantErr: true},
		{
			name: "binary garbage", line: "\x00\x01\x02\xff\x8f garbage", wantFlags: FlagInvalidJSON | FlagInvalidUTF8, wantErr: true,
			autoFlags: FlagUnstructured | FlagInvalidUTF8,
		},
		{name: "trailing garbage", line: `{"a":1} x`, wantFlags: FlagInvalidJSON, wantErr: true},
		{
			name: "deep nesting capped", line: deep, wantFlags: FlagDepthCapped,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				v, ok := lr.Attributes().Get("a")
				require.True(t, ok)
				depth := 1
				for v.Type() == pcommon.ValueTypeMap {
					v, ok = v.Map().Get("a")
					require.True(t, ok)
					depth++
				}
				assert.Equal(t, DefaultMaxDepth, depth)
				assert.True(t, strings.HasPrefix(v.Str(), `{"a":`), v.Str())
			},
		},
		{
			name: "very deep nesting is invalid json to fastjson", line: strings.Repeat("[", 400) + strings.Repeat("]", 400),
			wantFlags: FlagInvalidJSON, wantErr: true, autoFlags: FlagUnstructured,
		},
		{
			name: "duplicate keys last wins", line: `{"a":1,"b":2,"a":"x","msg":"m1","msg":"m2"}`, wantFlags: FlagDuplicateKey,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, map[string]any{"a": "x", "b": int64(2)}, lr.Attributes().AsRaw())
				assert.Equal(t, "m2", lr.Body().Str())
			},
		},
		{
			name: "duplicate nested keys", line: `{"o":{"k":1,"k":2}}`, wantFlags: FlagDuplicateKey,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, map[string]any{"o": map[string]any{"k": int64(2)}}, lr.Attributes().AsRaw())
			},
		},
		{
			name: "bad timestamp kept", line: `{"ts":"yesterday","msg":"x"}`, wantFlags: FlagBadTimestamp,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Zero(t, lr.Timestamp())
				assert.Equal(t, map[string]any{"ts": "yesterday"}, lr.Attributes().AsRaw())
			},
		},
		{
			name: "second time alias kept as attribute", line: `{"ts":"2026-04-06T14:30:45Z","time":"other"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, ts(t, "2026-04-06T14:30:45Z"), lr.Timestamp())
				assert.Equal(t, map[string]any{"time": "other"}, lr.Attributes().AsRaw())
			},
		},
		{
			name: "escapes and types", line: `{"s":"a\"b\n\u00e9","t":true,"f":false,"n":null,"arr":[1,"x",2.5,[true]],"big":123456789012345678901234,"neg":-3,"exp":1e3}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, map[string]any{
					"s": "a\"b\né", "t": true, "f": false, "n": nil,
					"arr": []any{int64(1), "x", 2.5, []any{true}},
					"big": "123456789012345678901234", "neg": int64(-3), "exp": 1000.0,
				}, lr.Attributes().AsRaw())
			},
		},
		{
			name: "trace and span ids", line: `{"trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"eee19b7ec3c1b174","msg":"x"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, "5b8efff798038103d269b633813fc60c", lr.TraceID().String())
				assert.Equal(t, "eee19b7ec3c1b174", lr.SpanID().String())
				assert.Equal(t, 0, lr.Attributes().Len())
			},
		},
		{
			name: "bad trace id kept", line: `{"trace_id":"xyz","span_id":"0000000000000000"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.True(t, lr.TraceID().IsEmpty())
				assert.Equal(t, map[string]any{"trace_id": "xyz", "span_id": "0000000000000000"}, lr.Attributes().AsRaw())
			},
		},
		{
			name: "object msg becomes map body", line: `{"message":{"a":1}}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, map[string]any{"a": int64(1)}, lr.Body().Map().AsRaw())
			},
		},
		{
			name: "json msg without event keeps message", line: `{"msg":"{\"a\": 1}"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, `{"a": 1}`, lr.Body().Str())
				assert.Equal(t, map[string]any{"a": int64(1)}, lr.Attributes().AsRaw())
			},
		},
		{
			// attrCount parses the first JSON msg ahead; the repeated key must still be parsed on its own.
			name: "repeated json msg lifts both, last event wins", line: `{"msg":"{\"event\":\"a\",\"x\":1}","msg":"{\"event\":\"b\",\"y\":\"z\"}"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, "b", lr.Body().Str())
				assert.Equal(t, map[string]any{"x": int64(1), "y": "z"}, lr.Attributes().AsRaw())
			},
		},
		{
			name: "second message alias kept as attribute", line: `{"msg":"{\"event\":\"e\",\"k\":true}","message":"{\"q\":1}"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, "e", lr.Body().Str())
				assert.Equal(t, map[string]any{"k": true, "message": `{"q":1}`}, lr.Attributes().AsRaw())
			},
		},
		{
			name: "integer edges", line: `{"max":9223372036854775807,"min":-9223372036854775808,"over":9223372036854775808,"d18":999999999999999999,"neg0":-0,"z":0}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, map[string]any{
					"max": int64(9223372036854775807), "min": int64(-9223372036854775808),
					"over": "9223372036854775808", "d18": int64(999999999999999999), "neg0": int64(0), "z": int64(0),
				}, lr.Attributes().AsRaw())
			},
		},
		{
			name: "invalid json msg stays body", line: `{"msg":"{not json}"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, `{not json}`, lr.Body().Str())
			},
		},
		{
			name: "numeric level", line: `{"level":50,"msg":"x"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, plog.SeverityNumberError, lr.SeverityNumber())
				assert.Equal(t, "error", lr.SeverityText())
			},
		},
		{
			name: "unknown level text kept", line: `{"lvl":"chatty"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, plog.SeverityNumberUnspecified, lr.SeverityNumber())
				assert.Equal(t, "chatty", lr.SeverityText())
			},
		},
		{
			name: "non-string logger is an attribute", line: `{"logger":7}`,
			check: func(t *testing.T, lr plog.LogRecord, res Result) {
				assert.Empty(t, res.Scope)
				assert.Equal(t, map[string]any{"logger": int64(7)}, lr.Attributes().AsRaw())
			},
		},
		{
			name: "escaped key", line: `{"k\u0065y":"v"}`,
			check: func(t *testing.T, lr plog.LogRecord, _ Result) {
				assert.Equal(t, map[string]any{"key": "v"}, lr.Attributes().AsRaw())
			},
		},
		{name: "empty object", line: `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lr, res := parse(t, tc.line)
			autoLR, autoRes := parseAs(t, FormatAuto, tc.line)
			if tc.autoFlags != 0 {
				assert.Equal(t, tc.autoFlags, autoRes.Flags, "auto")
				require.NoError(t, autoRes.Err, "auto")
				assert.Equal(t, autoRes.Line, autoLR.Body().Str(), "auto keeps the line whole")
			} else {
				assert.Equal(t, res, autoRes, "auto reads JSON as json does")
				assert.Equal(t, lr.Attributes().AsRaw(), autoLR.Attributes().AsRaw(), "auto")
				assert.Equal(t, lr.Body().AsRaw(), autoLR.Body().AsRaw(), "auto")
			}
			assert.Equal(t, tc.wantFlags, res.Flags)
			if tc.wantErr {
				require.Error(t, res.Err)
				if res.Flags&FlagEmpty == 0 {
					SetRaw(lr, res.Line, res.Err)
					assert.True(t, utf8.ValidString(lr.Body().Str()))
					_, ok := lr.Attributes().Get(AttrParseError)
					assert.True(t, ok)
				}
			} else {
				require.NoError(t, res.Err)
			}
			if tc.check != nil {
				tc.check(t, lr, res)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, "" for rejected
	}{
		{"2026-04-06T14:30:45.123Z", "2026-04-06T14:30:45.123Z"},
		{"2026-04-13T10:30:45.123456+00:00", "2026-04-13T10:30:45.123456Z"},
		{"2026-04-13 10:30:45", "2026-04-13T10:30:45Z"},
		{"2026-04-13T10:30:45+02:00", "2026-04-13T08:30:45Z"},
		{"2026-04-13T10:30:45-0130", "2026-04-13T12:00:45Z"},
		{"2026-04-13T10:30:45.5+05", "2026-04-13T05:30:45.5Z"},
		{"2026-04-13T10:30:45,25Z", "2026-04-13T10:30:45.25Z"},
		{"2026-04-13t10:30z", "2026-04-13T10:30:00Z"},
		{"2026-04-13T10:30:45.1234567891234Z", "2026-04-13T10:30:45.123456789Z"},
		{"2026-04-13", "2026-04-13T00:00:00Z"},
		{"2026-02-31T10:30:45Z", ""},
		{"2026-13-01T10:30:45Z", ""},
		{"2026-04-13T25:30:45Z", ""},
		{"2026-04-13T10:30:45.Z", ""},
		{"2026-04-13T10:30:45Zjunk", ""},
		{"2026-04-13X10:30:45Z", ""},
		{"2026/04/13 10:30:45", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseTime([]byte(tc.in))
			if tc.want == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, ts(t, tc.want), pcommon.Timestamp(got))
		})
	}
}

func TestEpochTimestamps(t *testing.T) {
	want := ts(t, "2026-04-06T14:30:45.123Z")
	for _, line := range []string{
		`{"ts":1775485845.123}`,
		`{"ts":1775485845123}`,
		`{"ts":1775485845123000}`,
		`{"ts":1775485845123000000}`,
		`{"ts":"1775485845123"}`,
		`{"time":1.775485845123e9}`,
	} {
		t.Run(line, func(t *testing.T) {
			lr, res := parse(t, line)
			require.NoError(t, res.Err)
			assert.Zero(t, res.Flags)
			diff := int64(lr.Timestamp()) - int64(want)
			assert.LessOrEqual(t, diff*diff, int64(1e6*1e6), "got %v", lr.Timestamp())
		})
	}
	lr, res := parse(t, `{"ts":-5}`)
	require.NoError(t, res.Err)
	assert.Equal(t, FlagBadTimestamp, res.Flags)
	assert.Equal(t, map[string]any{"ts": int64(-5)}, lr.Attributes().AsRaw())
}

func TestSeverities(t *testing.T) {
	for in, want := range map[string]plog.SeverityNumber{
		"TRACE": plog.SeverityNumberTrace, "debug": plog.SeverityNumberDebug, "Info": plog.SeverityNumberInfo,
		"warn": plog.SeverityNumberWarn, "WARNING": plog.SeverityNumberWarn, "error": plog.SeverityNumberError,
		"critical": plog.SeverityNumberFatal, "FATAL": plog.SeverityNumberFatal, "notice": plog.SeverityNumberInfo2,
		"averyveryverylonglevelname": plog.SeverityNumberUnspecified,
	} {
		assert.Equal(t, want, severityOf([]byte(in)), in)
	}
}

// The parser is reused across lines: state must not leak from one to the next.
func TestParserReuse(t *testing.T) {
	p := New(Options{})
	lines := []string{asterLine, astrocyteLine, aistackLine, `{"x":"y\"z"}`, asterLine}
	records := make([]plog.LogRecord, len(lines))
	for i, l := range lines {
		records[i] = plog.NewLogRecord()
		require.NoError(t, p.Parse(l, records[i]).Err)
	}
	for i, l := range lines {
		fresh := plog.NewLogRecord()
		require.NoError(t, New(Options{}).Parse(l, fresh).Err)
		assert.Equal(t, fresh.Attributes().AsRaw(), records[i].Attributes().AsRaw(), l)
		assert.Equal(t, fresh.Body().AsRaw(), records[i].Body().AsRaw(), l)
	}
}

// ParseTime's calendar arithmetic against the standard library, over many dates.
func TestParseTimeMatchesTimePackage(t *testing.T) {
	start := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := 0; d < 365*200; d += 37 {
		tm := start.AddDate(0, 0, d).Add(time.Duration(d%86400) * time.Second)
		s := tm.Format("2006-01-02T15:04:05.000000Z07:00")
		got, ok := ParseTime([]byte(s))
		require.True(t, ok, s)
		require.Equal(t, uint64(tm.UnixNano()), got, s)
	}
	for _, s := range []string{"2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z"} {
		_, ok := ParseTime([]byte(s))
		assert.True(t, ok, s)
	}
	for _, s := range []string{"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z"} {
		_, ok := ParseTime([]byte(s))
		assert.False(t, ok, s)
	}
}
