package parser

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// textObserved is when the table's lines are taken to be read; the file
// name gives no date, so a time of day is on 2026-04-06.
var textObserved = time.Date(2026, 4, 6, 15, 0, 0, 0, time.UTC)

// parseRecord parses lines[0] and, when it is a header, offers lines[1] (or
// "") to Continue, as the receiver does. joined reports that lines[1] was used.
func parseRecord(t *testing.T, format Format, lines ...string) (lr plog.LogRecord, res Result, joined bool) {
	t.Helper()
	require.NotEmpty(t, lines)
	p := New(Options{Format: format})
	p.SetSource("app.log", textObserved)
	lr = plog.NewLogRecord()
	res = p.Parse(lines[0], lr)
	if res.Flags&FlagHeader != 0 {
		next := ""
		if len(lines) > 1 {
			next = lines[1]
		}
		joined = p.Continue(next, lr, &res)
	}
	return lr, res, joined
}

type textWant struct {
	ts     string // RFC 3339; "" for none
	level  string
	sev    plog.SeverityNumber
	scope  string
	body   string
	attrs  map[string]any
	flags  Flags
	joined bool
	err    error
}

func checkRecord(t *testing.T, want textWant, lr plog.LogRecord, res Result, joined bool) {
	t.Helper()
	if want.ts == "" {
		assert.Zero(t, lr.Timestamp(), "timestamp")
	} else {
		assert.Equal(t, ts(t, want.ts).AsTime(), lr.Timestamp().AsTime(), "timestamp")
	}
	assert.Equal(t, want.level, lr.SeverityText(), "severity text")
	assert.Equal(t, want.sev, lr.SeverityNumber(), "severity number")
	assert.Equal(t, want.scope, res.Scope, "scope")
	if want.body == "" {
		assert.Equal(t, pcommon.ValueTypeEmpty, lr.Body().Type(), "body %q", lr.Body().AsString())
	} else {
		assert.Equal(t, want.body, lr.Body().Str(), "body")
	}
	if want.attrs == nil {
		want.attrs = map[string]any{}
	}
	assert.Equal(t, want.attrs, lr.Attributes().AsRaw(), "attributes")
	assert.Equal(t, flagNames(want.flags), flagNames(res.Flags), "flags")
	assert.Equal(t, want.joined, joined, "joined")
	assert.Equal(t, want.err, res.Err, "error")
}

func TestTextShapes(t *testing.T) {
	const day = "2026-04-06T"
	tests := []struct {
		name   string
		format Format
		lines  []string
		want   textWant
	}{
		// Stamped lines.
		{
			name:  "stamped with a tail",
			lines: []string{"14:30:45.123 INFO  server — connection opened [svc=Hello method=sayHello req=abc12345]"},
			want: textWant{
				ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "server", body: "connection opened",
				attrs: map[string]any{"service": "Hello", "method": "sayHello", "request_id": "abc12345"},
			},
		},
		{
			name:  "tabs and runs of spaces",
			lines: []string{"14:30:45.123\t WARN \t server\t—\t  slow   call   [duration_ms=812.5]  "},
			want: textWant{
				ts: day + "14:30:45.123Z", level: "WARN", sev: plog.SeverityNumberWarn, scope: "server", body: "slow   call",
				attrs: map[string]any{"duration_ms": 812.5},
			},
		},
		{
			name:  "no message after the separator",
			lines: []string{"14:30:45.123 ERROR server —"},
			want:  textWant{ts: day + "14:30:45.123Z", level: "ERROR", sev: plog.SeverityNumberError, scope: "server"},
		},
		{
			name:  "time and level only",
			lines: []string{"14:30:45 DEBUG"},
			want:  textWant{ts: day + "14:30:45Z", level: "DEBUG", sev: plog.SeverityNumberDebug},
		},
		{
			name:  "no separator: no logger",
			lines: []string{"14:30:45.123 INFO connection opened"},
			want:  textWant{ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, body: "connection opened"},
		},
		{
			name:  "dash glued to the logger is text",
			lines: []string{"14:30:45.123 INFO server—opened"},
			want:  textWant{ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, body: "server—opened"},
		},
		{
			name:  "message that starts with a dash",
			lines: []string{"14:30:45.123 INFO server — - item"},
			want:  textWant{ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "server", body: "- item"},
		},
		{
			name:  "comma fraction and nanoseconds",
			lines: []string{"14:30:45,123456789 notice server — x"},
			want:  textWant{ts: day + "14:30:45.123456789Z", level: "notice", sev: plog.SeverityNumberInfo2, scope: "server", body: "x"},
		},
		{
			name:  "date and time with a zone",
			lines: []string{"2026-04-06T14:30:45.123+02:00 WARN svc — x"},
			want:  textWant{ts: day + "12:30:45.123Z", level: "WARN", sev: plog.SeverityNumberWarn, scope: "svc", body: "x"},
		},
		{
			name:  "date, space, time",
			lines: []string{"2026-04-05 23:59:59.999 INFO svc — x"},
			want:  textWant{ts: "2026-04-05T23:59:59.999Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "svc", body: "x"},
		},
		{
			name:  "non-ASCII text, logger and values",
			lines: []string{"14:30:45.123 INFO  sérveur — ça va ✓ [user=élève note='naïve café']"},
			want: textWant{
				ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "sérveur", body: "ça va ✓",
				attrs: map[string]any{"user": "élève", "note": "naïve café"},
			},
		},
		{
			name:  "a non-ASCII key is not a pair: the tail stays text",
			lines: []string{"14:30:45.123 INFO x — ok [clé=valeur]"},
			want:  textWant{ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "x", body: "ok [clé=valeur]"},
		},
		{
			name:  "CRLF",
			lines: []string{"14:30:45.123 INFO x — ok [a=1]\r"},
			want: textWant{
				ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "x", body: "ok",
				attrs: map[string]any{"a": int64(1)}, flags: FlagCRLF,
			},
		},
		{
			name:  "terminal colours are removed",
			lines: []string{"\x1b[2m14:30:45.123\x1b[0m \x1b[1;32mINFO \x1b[0m server — ok"},
			want:  textWant{ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "server", body: "ok"},
		},
		{
			name:  "truncated inside the tail: the tail stays text",
			lines: []string{"14:30:45.123 INFO  server — connection opened [svc=Hello meth"},
			want: textWant{
				ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "server",
				body: "connection opened [svc=Hello meth",
			},
		},
		{
			name:  "truncated inside a quoted tail value",
			lines: []string{`14:30:45.123 INFO x — failed [error="contract not]`},
			want:  textWant{ts: day + "14:30:45.123Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "x", body: `failed [error="contract not]`},
		},
		{name: "truncated in the time", lines: []string{"14:30:4"}, want: textWant{body: "14:30:4", flags: FlagUnstructured}},
		{name: "time only", lines: []string{"14:30:45.123"}, want: textWant{body: "14:30:45.123", flags: FlagUnstructured}},
		{name: "hour 25", lines: []string{"25:30:45.123 INFO x — y"}, want: textWant{body: "25:30:45.123 INFO x — y", flags: FlagUnstructured}},
		{name: "bad fraction", lines: []string{"14:30:45.12a INFO x — y"}, want: textWant{body: "14:30:45.12a INFO x — y", flags: FlagUnstructured}},
		{name: "unknown level", lines: []string{"14:30:45.123 CHATTY x — y"}, want: textWant{body: "14:30:45.123 CHATTY x — y", flags: FlagUnstructured}},
		{name: "month 13", lines: []string{"2026-13-06 14:30:45 INFO x — y"}, want: textWant{body: "2026-13-06 14:30:45 INFO x — y", flags: FlagUnstructured}},

		// Dashed lines and headers.
		{
			name:  "dashed line with a message",
			lines: []string{"2026-04-13 10:30:45,123 - app.db - WARNING - pool exhausted [size=10]"},
			want: textWant{
				ts: "2026-04-13T10:30:45.123Z", level: "WARNING", sev: plog.SeverityNumberWarn, scope: "app.db", body: "pool exhausted",
				attrs: map[string]any{"size": int64(10)},
			},
		},
		{
			name:  "dashed line with a time of day",
			lines: []string{"10:30:45 - app - ERROR - boom"},
			want:  textWant{ts: day + "10:30:45Z", level: "ERROR", sev: plog.SeverityNumberError, scope: "app", body: "boom"},
		},
		{
			name:  "dashed line with an unknown level",
			lines: []string{"2026-04-13 10:30:45 - app - LOUD - x"},
			want:  textWant{body: "2026-04-13 10:30:45 - app - LOUD - x", flags: FlagUnstructured},
		},
		{
			name:  "dashed line with a spaced logger",
			lines: []string{"2026-04-13 10:30:45 - my app - INFO - x"},
			want:  textWant{body: "2026-04-13 10:30:45 - my app - INFO - x", flags: FlagUnstructured},
		},
		{
			name:  "header and access entry",
			lines: []string{"2026-04-13 10:30:45 - astrocyte_gateway.access - INFO", "a1b2c3d4-e5f6-7890-abcd-ef1234567890 POST /v1/recall 200 45.23ms"},
			want: textWant{
				ts: "2026-04-13T10:30:45Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "astrocyte_gateway.access",
				body: "a1b2c3d4-e5f6-7890-abcd-ef1234567890 POST /v1/recall 200 45.23ms", joined: true,
				attrs: map[string]any{
					"request_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "method": "POST", "path": "/v1/recall",
					"status_code": int64(200), "duration_ms": 45.23,
				},
			},
		},
		{
			name:  "header and pairs: event is the body",
			lines: []string{"2026-04-13 10:30:49 - astrocyte.ingest - INFO", "source_id='github_issues' event='poll_started' interval_seconds=3600 level=debug"},
			want: textWant{
				ts: "2026-04-13T10:30:49Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "astrocyte.ingest", body: "poll_started", joined: true,
				attrs: map[string]any{"source_id": "github_issues", "interval_seconds": int64(3600), "level": "debug"},
			},
		},
		{
			name:  "header and pairs without a body key: the message is the body",
			lines: []string{"2026-04-13 10:30:49 - a - INFO", "items=12 lag=5"},
			want: textWant{
				ts: "2026-04-13T10:30:49Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "a", body: "items=12 lag=5", joined: true,
				attrs: map[string]any{"items": int64(12), "lag": int64(5)},
			},
		},
		{
			name:  "header and indented text with CRLF and bad UTF-8",
			lines: []string{"2026-04-13 10:30:49 - a - ERROR\r", "   disk \xff full\r"},
			want: textWant{
				ts: "2026-04-13T10:30:49Z", level: "ERROR", sev: plog.SeverityNumberError, scope: "a", body: "disk \uFFFD full", joined: true,
				flags: FlagCRLF | FlagInvalidUTF8,
			},
		},
		{
			name:  "header without a next line",
			lines: []string{"2026-04-13 10:30:53 - a - INFO"},
			want:  textWant{ts: "2026-04-13T10:30:53Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "a", flags: FlagUnpairedHeader},
		},
		{
			name:  "header before an empty line",
			lines: []string{"2026-04-13 10:30:53 - a - INFO", "  \r"},
			want:  textWant{ts: "2026-04-13T10:30:53Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "a", flags: FlagUnpairedHeader},
		},
		{
			name:  "header before another header",
			lines: []string{"2026-04-13 10:30:53 - a - INFO", "2026-04-13 10:30:54 - a - INFO"},
			want:  textWant{ts: "2026-04-13T10:30:53Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "a", flags: FlagUnpairedHeader},
		},
		{
			name:  "header before a stamped line",
			lines: []string{"2026-04-13 10:30:53 - a - INFO", "14:30:45.123 INFO x — y"},
			want:  textWant{ts: "2026-04-13T10:30:53Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "a", flags: FlagUnpairedHeader},
		},
		{
			name:  "header before a JSON line",
			lines: []string{"2026-04-13 10:30:53 - a - INFO", `{"msg":"own record"}`},
			want:  textWant{ts: "2026-04-13T10:30:53Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "a", flags: FlagUnpairedHeader},
		},
		{
			name: "header before a JSON line, text format: the line is the message", format: FormatText,
			lines: []string{"2026-04-13 10:30:53 - a - INFO", `{"msg":"own record"}`},
			want: textWant{
				ts: "2026-04-13T10:30:53Z", level: "INFO", sev: plog.SeverityNumberInfo, scope: "a", body: `{"msg":"own record"}`, joined: true,
			},
		},

		// Access entries on their own (a message whose header ended the previous batch).
		{
			name:  "access entry without a request id",
			lines: []string{"POST /v1/recall 201 3ms"},
			want: textWant{
				body: "POST /v1/recall 201 3ms", attrs: map[string]any{"method": "POST", "path": "/v1/recall", "status_code": int64(201), "duration_ms": 3.0},
			},
		},
		{
			name:  "access entry in µs with a full URL",
			lines: []string{"- GET https://example.com/x?y=1 503 250µs"},
			want: textWant{
				body: "- GET https://example.com/x?y=1 503 250µs",
				attrs: map[string]any{
					"request_id": "-", "method": "GET", "path": "https://example.com/x?y=1", "status_code": int64(503), "duration_ms": 0.25,
				},
			},
		},
		{
			name:  "access entry in ns and s",
			lines: []string{"r1 HEAD / 200 1500000ns"},
			want: textWant{
				body: "r1 HEAD / 200 1500000ns", attrs: map[string]any{"request_id": "r1", "method": "HEAD", "path": "/", "status_code": int64(200), "duration_ms": 1.5},
			},
		},
		{name: "status 600 is not an access entry", lines: []string{"r1 GET /x 600 1ms"}, want: textWant{body: "r1 GET /x 600 1ms", flags: FlagUnstructured}},
		{name: "lower-case method", lines: []string{"r1 get /x 200 1ms"}, want: textWant{body: "r1 get /x 200 1ms", flags: FlagUnstructured}},
		{name: "duration without a unit", lines: []string{"r1 GET /x 200 45.23"}, want: textWant{body: "r1 GET /x 200 45.23", flags: FlagUnstructured}},
		{name: "duration with two dots", lines: []string{"r1 GET /x 200 1.2.3ms"}, want: textWant{body: "r1 GET /x 200 1.2.3ms", flags: FlagUnstructured}},
		{name: "one token too many", lines: []string{"r1 GET /x 200 1ms extra"}, want: textWant{body: "r1 GET /x 200 1ms extra", flags: FlagUnstructured}},
		{name: "relative path", lines: []string{"r1 GET x 200 1ms"}, want: textWant{body: "r1 GET x 200 1ms", flags: FlagUnstructured}},

		// Pairs.
		{
			name:  "pairs: quoting, escapes, types",
			lines: []string{`a='x y' b="it's" c='\'q\' \\ \n \x41\u00e9' n=3600 f=-1.5e-3 big=99999999999999999999 z=0 lead=007 t=True f2=false none=None e=`},
			want: textWant{attrs: map[string]any{
				"a": "x y", "b": "it's", "c": "'q' \\ \n Aé", "n": int64(3600), "f": -1.5e-3, "big": "99999999999999999999",
				"z": int64(0), "lead": "007", "t": true, "f2": false, "none": "None", "e": "",
			}},
		},
		{
			name:  "pairs: identifiers stay strings",
			lines: []string{"id=7 request_id=0042 userId=12 trace.id=5 event=x"},
			want:  textWant{body: "x", attrs: map[string]any{"id": "7", "request_id": "0042", "userId": "12", "trace.id": "5"}},
		},
		{
			name:  "pairs: bracketed values hold spaces and quotes",
			lines: []string{`tags=['a b', "c]"] meta={'k': (1, 2)} after=1`},
			want:  textWant{attrs: map[string]any{"tags": `['a b', "c]"]`, "meta": "{'k': (1, 2)}", "after": int64(1)}},
		},
		{
			name:  "pairs: record fields as in a JSON object",
			lines: []string{"timestamp='2026-04-13T10:30:49.5Z' level=warning logger=ingest trace_id=5b8efff798038103d269b633813fc60c msg='lag' event=stream_lag"},
			want: textWant{
				ts: "2026-04-13T10:30:49.5Z", level: "warning", sev: plog.SeverityNumberWarn, scope: "ingest", body: "lag",
				attrs: map[string]any{"event": "stream_lag"},
			},
		},
		{
			name:  "pairs: numeric level, epoch time, bad span id",
			lines: []string{"lvl=50 ts=1775485845123 span_id=xyz"},
			want:  textWant{ts: "2026-04-06T14:30:45.123Z", level: "error", sev: plog.SeverityNumberError, attrs: map[string]any{"span_id": "xyz"}},
		},
		{
			name:  "pairs: unparseable time kept",
			lines: []string{"ts=yesterday event=x"},
			want:  textWant{body: "x", attrs: map[string]any{"ts": "yesterday"}, flags: FlagBadTimestamp},
		},
		{
			name:  "pairs: duplicate key, last wins",
			lines: []string{"a=1 a=2"},
			want:  textWant{attrs: map[string]any{"a": int64(2)}, flags: FlagDuplicateKey},
		},
		{name: "unterminated quote", lines: []string{"a='x b=1"}, want: textWant{body: "a='x b=1", flags: FlagUnstructured}},
		{name: "unclosed bracket", lines: []string{"tags=[a b"}, want: textWant{body: "tags=[a b", flags: FlagUnstructured}},
		{name: "a word among pairs", lines: []string{"a=1 oops b=2"}, want: textWant{body: "a=1 oops b=2", flags: FlagUnstructured}},
		{name: "text after a quote", lines: []string{"a='x'y"}, want: textWant{body: "a='x'y", flags: FlagUnstructured}},
		{name: "no key", lines: []string{"=x"}, want: textWant{body: "=x", flags: FlagUnstructured}},

		// Unstructured lines and formats.
		{name: "plain text keeps its spaces", lines: []string{"  File \"app.py\", line 3  "}, want: textWant{body: "  File \"app.py\", line 3  ", flags: FlagUnstructured}},
		{name: "plain text with a BOM and CRLF", lines: []string{"\uFEFFhello\r"}, want: textWant{body: "hello", flags: FlagUnstructured | FlagBOM | FlagCRLF}},
		{name: "auto: a JSON array is not an object", lines: []string{"[1,2]"}, want: textWant{flags: FlagNotObject, err: ErrNotObject}},
		{name: "text: a JSON array is text", format: FormatText, lines: []string{"[1,2]"}, want: textWant{body: "[1,2]", flags: FlagUnstructured}},
		{name: "text: a JSON object is text", format: FormatText, lines: []string{`{"msg":"x"}`}, want: textWant{body: `{"msg":"x"}`, flags: FlagUnstructured}},
		{
			name: "json: a stamped line is invalid JSON", format: FormatJSON, lines: []string{"14:30:45.123 INFO x — y"},
			want: textWant{flags: FlagInvalidJSON},
		},
		{name: "empty", lines: []string{" \r"}, want: textWant{flags: FlagEmpty | FlagCRLF, err: ErrEmpty}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lr, res, joined := parseRecord(t, tc.format, tc.lines...)
			if tc.format == FormatJSON {
				// The syntax error's text is fastjson's.
				require.Error(t, res.Err)
				res.Err = nil
			}
			checkRecord(t, tc.want, lr, res, joined)
		})
	}
}

// A Result that is not a header is left alone by Continue.
func TestContinueWithoutHeader(t *testing.T) {
	p := New(Options{})
	lr := plog.NewLogRecord()
	res := p.Parse("14:30:45.123 INFO x — y", lr)
	before := res
	assert.False(t, p.Continue("r1 GET /x 200 1ms", lr, &res))
	assert.Equal(t, before, res)
	assert.Equal(t, "y", lr.Body().Str())
	assert.Equal(t, 0, lr.Attributes().Len())
}

// Text and JSON lines name the same record fields with the same keys: a line
// of pairs and the JSON object with the same pairs make the same record
// (apart from a body taken from `event`, which only pairs do).
func TestPairsMapFieldsAsJSON(t *testing.T) {
	for _, kv := range [][2]string{
		{"ts", "2026-04-13T10:30:49Z"}, {"timestamp", "2026-04-13T10:30:49Z"}, {"time", "1775485845"},
		{"level", "warning"}, {"severity", "ERROR"}, {"lvl", "chatty"},
		{"msg", "hello"}, {"message", "hello"}, {"logger", "a.b"},
		{"trace_id", "5b8efff798038103d269b633813fc60c"}, {"span_id", "eee19b7ec3c1b174"}, {"other", "x"},
	} {
		t.Run(kv[0], func(t *testing.T) {
			jsonLR, jsonRes := parseAs(t, FormatJSON, `{"`+kv[0]+`":"`+kv[1]+`"}`)
			textLR, textRes := parseAs(t, FormatAuto, kv[0]+"='"+kv[1]+"'")
			require.NoError(t, jsonRes.Err)
			require.NoError(t, textRes.Err)
			assert.Equal(t, jsonRes.Scope, textRes.Scope)
			assert.Equal(t, jsonRes.Flags, textRes.Flags)
			assert.Equal(t, jsonLR.Timestamp(), textLR.Timestamp())
			assert.Equal(t, jsonLR.SeverityText(), textLR.SeverityText())
			assert.Equal(t, jsonLR.SeverityNumber(), textLR.SeverityNumber())
			assert.Equal(t, jsonLR.Body().AsRaw(), textLR.Body().AsRaw())
			assert.Equal(t, jsonLR.TraceID(), textLR.TraceID())
			assert.Equal(t, jsonLR.SpanID(), textLR.SpanID())
			assert.Equal(t, jsonLR.Attributes().AsRaw(), textLR.Attributes().AsRaw())
		})
	}
}

func TestDateInName(t *testing.T) {
	for name, want := range map[string]string{
		"access-2026-05-08.jsonl":          "2026-05-08",
		"aster-2026-04-06.log.gz":          "2026-04-06",
		"app.log.2026-04-06":               "2026-04-06",
		"2026-04-06_to_2026-04-07.log":     "2026-04-07",
		"x-2026-04-07-2026-02-30.log":      "2026-04-07", // the last valid one
		"x-20260406.log":                   "",
		"build-12026-04-06.log":            "",
		"v2026-04-061.log":                 "",
		"app.log":                          "",
		"":                                 "",
		"2026-04-06":                       "2026-04-06",
		"x-9999-12-31.log":                 "",
		"naïve-2026-04-06-ü.log":           "2026-04-06",
		"2026-04-06T10:00:00.log-suffixed": "2026-04-06",
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := dateInName(name)
			if want == "" {
				assert.False(t, ok, "got %v", time.Unix(0, got).UTC())
				return
			}
			require.True(t, ok)
			assert.Equal(t, want, time.Unix(0, got).UTC().Format(time.DateOnly))
		})
	}
}

// The date of a time of day: the file name's, else the read time's, the day
// before when the time of day lies more than midnightSlack after it.
func TestTimeOfDayDate(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		observed string
		line     string
		want     string
	}{
		{"file date", "aster-2026-04-06.log", "2026-04-09T08:00:00Z", "23:59:59.5 INFO x — y", "2026-04-06T23:59:59.5Z"},
		{"observed date", "aster.log", "2026-04-09T08:00:00Z", "07:59:59.5 INFO x — y", "2026-04-09T07:59:59.5Z"},
		{"within the slack", "aster.log", "2026-04-09T08:00:00Z", "08:59:59 INFO x — y", "2026-04-09T08:59:59Z"},
		{"past midnight: the day before", "aster.log", "2026-04-10T00:00:00.1Z", "23:59:59.9 INFO x — y", "2026-04-09T23:59:59.9Z"},
		{"beyond the slack: the day before", "aster.log", "2026-04-09T08:00:00Z", "09:00:01 INFO x — y", "2026-04-08T09:00:01Z"},
		{"a full stamp ignores both", "aster-2026-04-06.log", "2026-04-09T08:00:00Z", "2026-01-02 03:04:05 INFO x — y", "2026-01-02T03:04:05Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := New(Options{})
			p.SetSource(tc.file, ts(t, tc.observed).AsTime())
			lr := plog.NewLogRecord()
			require.NoError(t, p.Parse(tc.line, lr).Err)
			assert.Equal(t, ts(t, tc.want).AsTime(), lr.Timestamp().AsTime())
		})
	}
	t.Run("switching files", func(t *testing.T) {
		p := New(Options{})
		obs := ts(t, "2026-04-09T08:00:00Z").AsTime()
		for _, step := range [][2]string{
			{"a-2026-04-06.log", "2026-04-06"}, {"a.log", "2026-04-09"}, {"a-2026-04-06.log", "2026-04-06"}, {"a-2026-04-07.log", "2026-04-07"},
		} {
			p.SetSource(step[0], obs)
			lr := plog.NewLogRecord()
			require.NoError(t, p.Parse("01:00:00 INFO x — y", lr).Err)
			assert.Equal(t, step[1], lr.Timestamp().AsTime().Format(time.DateOnly), step[0])
		}
	})
	t.Run("without SetSource: today", func(t *testing.T) {
		lr := plog.NewLogRecord()
		before := time.Now().UTC()
		require.NoError(t, New(Options{}).Parse("00:00:00 INFO x — y", lr).Err)
		got := lr.Timestamp().AsTime()
		assert.True(t, got.Format(time.DateOnly) == before.Format(time.DateOnly) || got.Format(time.DateOnly) == time.Now().UTC().Format(time.DateOnly), got)
	})
}

// The parser is reused across lines: nothing of a text line leaks into the next.
func TestTextParserReuse(t *testing.T) {
	lines := strings.Split(mixedText, "\n")
	p := New(Options{})
	p.SetSource("a.log", textObserved)
	for _, l := range lines {
		reused := plog.NewLogRecord()
		res := p.Parse(l, reused)
		fresh := plog.NewLogRecord()
		fp := New(Options{})
		fp.SetSource("a.log", textObserved)
		fresh2 := fp.Parse(l, fresh)
		assert.Equal(t, fresh2, res, l)
		assert.Equal(t, fresh.Attributes().AsRaw(), reused.Attributes().AsRaw(), l)
		assert.Equal(t, fresh.Body().AsRaw(), reused.Body().AsRaw(), l)
		assert.Equal(t, fresh.Timestamp(), reused.Timestamp(), l)
	}
}

// mixedText holds every shape, for reuse, fuzz seeds and benchmarks.
const mixedText = asterLine + `
14:30:45.123 INFO  server — connection opened [svc=Hello method=sayHello req=abc12345]
2026-04-13 10:30:45 - astrocyte_gateway.access - INFO
a1b2c3d4-e5f6-7890-abcd-ef1234567890 POST /v1/recall 200 45.23ms
source_id='github_issues' event='poll_started' interval_seconds=3600
2026-04-13 10:30:45,123 - app.db - WARNING - pool exhausted
Traceback (most recent call last):
` + astrocyteLine + `
not json at all
[1,2,3]`
