package maskprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestWalkCases runs single-record cases through the logs pipeline: each
// builds the record's attributes and states the attributes expected after.
func TestWalkCases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   func(*Config)
		build func(m pcommon.Map)
		want  map[string]any
	}{
		{
			name: "secret of every type",
			build: func(m pcommon.Map) {
				m.PutInt("token", 42)
				m.PutBool("passwd", true)
				m.PutEmptyBytes("private_key").FromRaw([]byte{1, 2})
			},
			want: map[string]any{"token": "***", "passwd": "***", "private_key": "***"},
		},
		{
			name: "identifier number and slice",
			build: func(m pcommon.Map) {
				m.PutInt("node_id", 1234567)
				s := m.PutEmptySlice("peer")
				s.AppendEmpty().SetStr("7f3a9c2e51b84d06a1e2f3c4d5b6a7980f1e2d3c")
				s.AppendEmpty().SetStr("")
			},
			want: map[string]any{"node_id": "***", "peer": []any{"7f3a9c2...2d3c", ""}},
		},
		{
			name: "header names outside header maps, names_anywhere off",
			cfg:  func(c *Config) { c.Headers.NamesAnywhere = false },
			build: func(m pcommon.Map) {
				m.PutEmptyMap("labels").PutStr("Authorization", "not a header map, kept")
				m.PutEmptySlice("headers").AppendEmpty().SetEmptyMap().PutStr("Authorization", "Basic dXNlcjpwYXNz")
			},
			want: map[string]any{
				"labels":  map[string]any{"Authorization": "not a header map, kept"},
				"headers": []any{map[string]any{"Authorization": "***"}},
			},
		},
		{
			name: "header map as a slice of maps, and an unrelated map",
			build: func(m pcommon.Map) {
				h := m.PutEmptySlice("headers").AppendEmpty().SetEmptyMap()
				h.PutStr("Proxy-Authorization", "Basic dXNlcjpwYXNz")
				h.PutStr("Accept", "text/html")
				o := m.PutEmptyMap("labels")
				o.PutStr("Authorization", "not a header map, kept")
			},
			want: map[string]any{
				"headers": []any{map[string]any{"Proxy-Authorization": "***", "Accept": "text/html"}},
				"labels":  map[string]any{"Authorization": "***"}, // header names are secret keys anywhere
			},
		},
		{
			name: "header map as a list of lines",
			build: func(m pcommon.Map) {
				s := m.PutEmptySlice("response_headers")
				s.AppendEmpty().SetStr("Set-Cookie: sid=abc; HttpOnly")
				s.AppendEmpty().SetStr("Content-Type: text/html")
				s.AppendEmpty().SetStr("cookie: ***")
			},
			want: map[string]any{"response_headers": []any{"Set-Cookie: ***", "Content-Type: text/html", "cookie: ***"}},
		},
		{
			name: "annotation merges existing types",
			cfg:  func(c *Config) { c.Annotate = true },
			build: func(m pcommon.Map) {
				m.PutStr("msg", "mail bob@example.org")
				m.PutEmptySlice("pii.types").AppendEmpty().SetStr("ssn")
			},
			want: map[string]any{
				"msg": "mail [EMAIL]", "pii.detected": true, "pii.types": []any{"ssn", "email"},
			},
		},
		{
			name:  "no annotation without PII",
			cfg:   func(c *Config) { c.Annotate = true },
			build: func(m pcommon.Map) { m.PutStr("password", "x"); m.PutStr("msg", "hello") },
			want:  map[string]any{"password": "***", "msg": "hello"},
		},
		{
			name:  "stars and ipv4",
			cfg:   func(c *Config) { c.PII.Replacement = ReplacementStars; c.PII.Types = append(c.PII.Types, "ipv4") },
			build: func(m pcommon.Map) { m.PutStr("client.address", "10.1.2.3"); m.PutStr("msg", "+44 20 7946 0958") },
			want:  map[string]any{"client.address": "***", "msg": "***"},
		},
		{
			name: "rules off leave everything",
			cfg: func(c *Config) {
				c.Secrets.Enabled, c.Identifiers.Enabled, c.Headers.Enabled, c.Query.Enabled, c.PII.Enabled = false, false, false, false, false
			},
			build: func(m pcommon.Map) {
				m.PutStr("password", "x")
				m.PutStr("peer", "p")
				m.PutStr("msg", "a@b.io?token=1")
			},
			want: map[string]any{"password": "x", "peer": "p", "msg": "a@b.io?token=1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultCfg()
			cfg.Annotate = false // the annotation cases switch it on
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			ld := plog.NewLogs()
			lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
			tc.build(lr.Attributes())
			out := runLogs(t, cfg, ld)
			got := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSpanStatusEventsLinks(t *testing.T) {
	td := ptraceWithSpan()
	out := runTraces(t, annotateCfg(), td)
	span := out.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	assert.Equal(t, "failed for [EMAIL]", span.Status().Message())
	ev, ok := span.Events().At(0).Attributes().Get("token")
	require.True(t, ok)
	assert.Equal(t, "***", ev.Str())
	l, ok := span.Links().At(0).Attributes().Get("q")
	require.True(t, ok)
	assert.Equal(t, "a=1&api_key=***", l.Str())
	types, ok := span.Attributes().Get("pii.types")
	require.True(t, ok)
	assert.Equal(t, []any{"email"}, types.Slice().AsRaw())
}

func ptraceWithSpan() ptrace.Traces {
	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.Status().SetMessage("failed for bob@example.org")
	span.Events().AppendEmpty().Attributes().PutStr("token", "t0k")
	span.Links().AppendEmpty().Attributes().PutStr("q", "a=1&api_key=zz")
	return td
}

// TestLeakShapes plants "SECRET" in every header, URL and text shape a
// review found leaking, runs the default and hashing configurations, and
// checks that no "SECRET" survives, the expected shapes come out, and a
// second pass changes nothing.
func TestLeakShapes(t *testing.T) {
	build := func(m pcommon.Map) {
		raw := m.PutEmptySlice("headers") // Node's rawHeaders
		for _, s := range []string{"Cookie", "sid=SECRET1", "Accept", "*/*", "Authorization", "Basic SECRETdXNlcg=="} {
			raw.AppendEmpty().SetStr(s)
		}
		pair := m.PutEmptySlice("request_headers").AppendEmpty().SetEmptySlice()
		pair.AppendEmpty().SetStr("Cookie")
		pair.AppendEmpty().SetStr("sid=SECRET3")
		m.PutStr("response_headers", `{"Set-Cookie":"sid=SECRET4","Accept":"text/html","Link":"<https://x.io/?token=SECRET4b>"}`)
		m.PutStr("authorization", "Basic SECRET5")
		m.PutStr("cookie", "sid=SECRET6")
		m.PutEmptySlice("set-cookie").AppendEmpty().SetStr("a=SECRET6b")
		m.PutEmptyMap("request").PutEmptyMap("header").PutStr("Cookie", "sid=SECRET7")
		m.PutStr("http.request.header", "GET / HTTP/1.1\r\nHost: h\r\nCookie: sid=SECRET8\r\nX-Api-Key: SECRET8b\r\n")
		m.PutStr("http.response.header", `[["Set-Cookie","SECRET8c"]]`)
		m.PutStr("db.url", "postgres://app:SECRET9@db:5432/app")
		m.PutStr("msg", "login failed password: SECRET10 and password=SECRET11 with Authorization: Basic SECRET12abc= sent")
		deep := m.PutEmptySlice("items").AppendEmpty().SetEmptyMap()
		deep.PutStr("X-Api-Key", "SECRET13")
		deep.PutStr("note", "Cookie: sid=SECRET14")
	}
	hashAll := hashCfg()
	hashAll.Headers.Action = ActionHash
	for name, cfg := range map[string]*Config{"default": defaultCfg(), "hash": hashAll} {
		t.Run(name, func(t *testing.T) {
			ld := plog.NewLogs()
			build(ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes())
			out := runLogs(t, cfg, ld)
			got := string(marshalLogs(t, out))
			assert.NotContains(t, got, "SECRET")
			again := plog.NewLogs()
			out.CopyTo(again)
			assert.Equal(t, got, string(marshalLogs(t, runLogs(t, cfg, again))), "idempotent")
			for _, keep := range []string{"Accept", "*/*", "text/html", "postgres://app:", "@db:5432/app", "Host: h", "login failed password: ", "with Authorization: Basic "} {
				assert.Contains(t, got, jsonEscape(keep))
			}
		})
	}

	ld := plog.NewLogs()
	build(ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes())
	attrs := runLogs(t, defaultCfg(), ld).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
	assert.Equal(t, []any{"Cookie", "***", "Accept", "*/*", "Authorization", "***"}, attrs["headers"])
	assert.Equal(t, []any{[]any{"Cookie", "***"}}, attrs["request_headers"])
	assert.Equal(t, `{"Accept":"text/html","Link":"<https://x.io/?token=***>","Set-Cookie":"***"}`, attrs["response_headers"])
	assert.Equal(t, "***", attrs["authorization"])
	assert.Equal(t, "***", attrs["set-cookie"])
	assert.Equal(t, map[string]any{"header": map[string]any{"Cookie": "***"}}, attrs["request"])
	assert.Equal(t, "GET / HTTP/1.1\r\nHost: h\r\nCookie: ***\r\nX-Api-Key: ***\r\n", attrs["http.request.header"])
	assert.Equal(t, `[["Set-Cookie","***"]]`, attrs["http.response.header"])
	assert.Equal(t, "postgres://app:***@db:5432/app", attrs["db.url"])
	assert.Equal(t, "login failed password: *** and password=*** with Authorization: Basic [TOKEN] sent", attrs["msg"])
}
