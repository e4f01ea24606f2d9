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
				"labels":  map[string]any{"Authorization": "not a header map, kept"},
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
