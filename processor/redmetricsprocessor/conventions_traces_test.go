package redmetricsprocessor

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// instrumentedSpan is a span shaped as an instrumentation library emits it,
// and what redmetrics must make of it ("" class: not a request).
type instrumentedSpan struct {
	name    string
	kind    ptrace.SpanKind
	attrs   map[string]any
	errored bool
	want    outcome
}

// instrumentation is one library's spans, under its service and scope.
type instrumentation struct {
	service, scope string
	spans          []instrumentedSpan
}

func server(name string, attrs map[string]any, errored bool, want outcome) instrumentedSpan {
	return instrumentedSpan{name: name, kind: ptrace.SpanKindServer, attrs: attrs, errored: errored, want: want}
}

// merge returns the union of maps, later ones winning.
func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Java agent 1.x (Tomcat): HTTP semantic conventions before v1.21.
func javaAgentOldHTTP(method, target, route string, status int) map[string]any {
	return map[string]any{
		"http.method": method, "http.scheme": "http", "http.target": target, "http.route": route,
		"http.status_code": status, "net.host.name": "petclinic", "net.host.port": 8080,
		"net.sock.peer.addr": "10.0.3.17", "net.sock.peer.port": 53122, "net.protocol.name": "http",
		"net.protocol.version": "1.1", "user_agent.original": "curl/8.5.0", "thread.name": "http-nio-8080-exec-3",
	}
}

// Python (Flask/WSGI instrumentation): HTTP conventions before v1.21.
func pythonOldHTTP(method, target string, status int) map[string]any {
	return map[string]any{
		"http.method": method, "http.server_name": "0.0.0.0", "http.scheme": "http", "net.host.port": 5000,
		"http.host": "search:5000", "http.target": target, "net.peer.ip": "10.0.3.17", "net.peer.port": 53122,
		"http.user_agent": "python-requests/2.32.3", "http.flavor": "1.1", "http.status_code": status,
	}
}

// Go otelhttp (current): stable HTTP conventions; http.route from the
// ServeMux pattern when one matched.
func goOtelHTTP(method, path, route string, status int) map[string]any {
	m := map[string]any{
		"server.address": "shop.example.com", "http.request.method": method, "url.scheme": "http", "server.port": 8080,
		"network.peer.address": "10.0.3.17", "network.peer.port": 53122, "user_agent.original": "curl/8.5.0",
		"client.address": "10.0.3.17", "url.path": path, "network.protocol.version": "1.1",
		"http.response.status_code": status, "http.response.body.size": 1423,
	}
	if route != "" {
		m["http.route"] = route
	}
	return m
}

// Go otelgrpc before RPC conventions v1.38: numeric codes.
func goOtelGRPCOld(method string, code int) map[string]any {
	return map[string]any{
		"rpc.system": "grpc", "rpc.service": "ledger.v1.Ledger", "rpc.method": method, "rpc.grpc.status_code": code,
		"net.sock.peer.addr": "10.0.3.22", "net.sock.peer.port": 40210,
	}
}

// Go otelgrpc (current): RPC conventions v1.38, code names and a qualified method.
func goOtelGRPCNew(method, code string) map[string]any {
	return map[string]any{
		"rpc.system.name": "grpc", "rpc.method": "ledger.v1.Ledger/" + method, "rpc.response.status_code": code,
		"server.address": "ledger", "server.port": 9090, "network.peer.address": "10.0.3.22", "network.peer.port": 40210,
	}
}

// JS http instrumentation with OTEL_SEMCONV_STABILITY_OPT_IN=http.
func jsStableHTTP(method, path, route string, status int) map[string]any {
	m := map[string]any{
		"http.request.method": method, "url.scheme": "http", "url.path": path, "server.address": "users", "server.port": 3000,
		"client.address": "10.0.3.40", "network.peer.address": "10.0.3.40", "network.peer.port": 52002,
		"network.protocol.version": "1.1", "user_agent.original": "node-fetch/1.0", "http.response.status_code": status,
	}
	if route != "" {
		m["http.route"] = route
	}
	return m
}

// Aster's MetricsInterceptor (seed 000): rpc.aster.error_code only on error.
func asterRPC(service, method, errorCode string) map[string]any {
	m := map[string]any{
		"rpc.system": "aster", "rpc.service": service, "rpc.method": method,
		"rpc.aster.pattern": "unary", "rpc.aster.idempotent": false,
	}
	if errorCode != "" {
		m["rpc.aster.error_code"] = errorCode
	}
	return m
}

// Connect (otelconnect): rpc.connect_rpc.error_code only on error.
func connectRPC(method, errorCode string) map[string]any {
	m := map[string]any{"rpc.system": "connect_rpc", "rpc.service": "greet.v1.GreetService", "rpc.method": method}
	if errorCode != "" {
		m["rpc.connect_rpc.error_code"] = errorCode
	}
	return m
}

var instrumentations = []instrumentation{
	{"petclinic", "io.opentelemetry.tomcat-10.0", []instrumentedSpan{
		server("GET /owners/{ownerId}", javaAgentOldHTTP("GET", "/owners/7", "/owners/{ownerId}", 200), false, ok("2xx", "GET /owners/{ownerId}", "20.000")),
		server("GET /owners/{ownerId}", javaAgentOldHTTP("GET", "/owners/9999", "/owners/{ownerId}", 404), false, ok("4xx", "GET /owners/{ownerId}", "20.000")),
		server("POST /owners/new", javaAgentOldHTTP("POST", "/owners/new", "/owners/new", 503), true, ok("503-busy", "POST /owners/new", "20.000")),
		server("POST /owners/new", javaAgentOldHTTP("POST", "/owners/new", "/owners/new", 500), true, ok("5xx", "POST /owners/new", "20.000")),
		{name: "GET", kind: ptrace.SpanKindClient, attrs: map[string]any{"http.method": "GET", "http.url": "http://vets:8080/vets", "http.status_code": 500}, errored: true},
		{name: "OwnerController.showOwner", kind: ptrace.SpanKindInternal, attrs: map[string]any{"code.function": "showOwner"}},
	}},
	{"search", "opentelemetry.instrumentation.flask", []instrumentedSpan{
		server("/api/search", merge(pythonOldHTTP("GET", "/api/search?q=red", 200), map[string]any{"http.route": "/api/search"}), false, ok("2xx", "GET /api/search", "20.000")),
		server("/api/search", merge(pythonOldHTTP("GET", "/api/search?q=", 400), map[string]any{"http.route": "/api/search"}), false, ok("4xx", "GET /api/search", "20.000")),
		server("POST", pythonOldHTTP("POST", "/api/items/8812/reviews", 503), true, ok("503-busy", "POST /api/items/{id}/reviews", "20.000")),
		server("HTTP GET", merge(pythonOldHTTP("GET", "", 500), map[string]any{"http.target": nil, "http.url": "http://search:5000/api/health?deep=1"}), true, ok("5xx", "GET /api/health", "20.000")),
	}},
	{"shop", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", []instrumentedSpan{
		server("GET /api/items/{id}", goOtelHTTP("GET", "/api/items/8812", "/api/items/{id}", 200), false, ok("2xx", "GET /api/items/{id}", "20.000")),
		server("GET /api/items/{id}", goOtelHTTP("GET", "/api/items/8813", "/api/items/{id}", 503), true, ok("503-busy", "GET /api/items/{id}", "20.000")),
		server("GET", goOtelHTTP("GET", "/favicon.ico", "", 404), false, ok("4xx", "GET /favicon.ico", "20.000")),
	}},
	{"ledger", "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc", []instrumentedSpan{
		server("ledger.v1.Ledger/GetContract", goOtelGRPCOld("GetContract", 5), false, ok("4xx", "GetContract", "20.000")),
		server("ledger.v1.Ledger/Submit", goOtelGRPCOld("Submit", 0), false, ok("2xx", "Submit", "20.000")),
		server("ledger.v1.Ledger/Submit", goOtelGRPCOld("Submit", 8), false, ok("503-busy", "Submit", "20.000")),
		server("ledger.v1.Ledger/Submit", goOtelGRPCOld("Submit", 1), false, ok("client-disconnect", "Submit", "20.000")),
		server("ledger.v1.Ledger/Submit", goOtelGRPCOld("Submit", 13), true, ok("5xx", "Submit", "20.000")),
	}},
	{"ledger-v2", "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc", []instrumentedSpan{
		server("ledger.v1.Ledger/GetContract", goOtelGRPCNew("GetContract", "NOT_FOUND"), false, ok("4xx", "GetContract", "20.000")),
		server("ledger.v1.Ledger/Submit", goOtelGRPCNew("Submit", "OK"), false, ok("2xx", "Submit", "20.000")),
		server("ledger.v1.Ledger/Submit", goOtelGRPCNew("Submit", "UNAVAILABLE"), true, ok("5xx", "Submit", "20.000")),
	}},
	{"users", "@opentelemetry/instrumentation-http", []instrumentedSpan{
		server("GET /users/:id", jsStableHTTP("GET", "/users/42", "/users/:id", 200), false, ok("2xx", "GET /users/:id", "20.000")),
		server("GET", jsStableHTTP("GET", "/users/42/avatar", "", 404), false, ok("4xx", "GET /users/{id}/avatar", "20.000")),
		// OTEL_SEMCONV_STABILITY_OPT_IN=http/dup: both sets on one span, read once by the stable one.
		server("POST /users", merge(jsStableHTTP("POST", "/users", "/users", 201),
			map[string]any{"http.method": "POST", "http.target": "/users", "http.status_code": 201, "http.scheme": "http"}), false, ok("2xx", "POST /users", "20.000")),
	}},
	{"aster", "aster", []instrumentedSpan{
		server("HelloService/sayHello", asterRPC("HelloService", "sayHello", ""), false, ok("2xx", "sayHello", "20.000")),
		server("Ledger/getContract", asterRPC("Ledger", "getContract", "NOT_FOUND"), true, ok("4xx", "getContract", "20.000")),
		server("Ledger/submit", asterRPC("Ledger", "submit", "INTERNAL"), true, ok("5xx", "submit", "20.000")),
		server("HelloService/sayHello", asterRPC("HelloService", "sayHello", "RESOURCE_EXHAUSTED"), true, ok("503-busy", "sayHello", "20.000")),
		server("Stream/watch", merge(asterRPC("Stream", "watch", "CANCELLED"), map[string]any{"rpc.aster.pattern": "server_stream"}), false, ok("client-disconnect", "watch", "20.000")),
	}},
	{"greet", "connectrpc.com/otelconnect", []instrumentedSpan{
		server("greet.v1.GreetService/Greet", connectRPC("Greet", ""), false, ok("2xx", "Greet", "20.000")),
		server("greet.v1.GreetService/Greet", connectRPC("Greet", "canceled"), true, ok("client-disconnect", "Greet", "20.000")),
		server("greet.v1.GreetService/Greet", connectRPC("Greet", "invalid_argument"), true, ok("4xx", "Greet", "20.000")),
	}},
}

// instrumentedTraces builds the spans of instrumentations, one resource
// per service, each span 20 ms long.
func instrumentedTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	start := pcommon.NewTimestampFromTime(time.Date(2026, 5, 8, 9, 12, 3, 0, time.UTC))
	n := 0
	for _, in := range instrumentations {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", in.service)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName(in.scope)
		for _, s := range in.spans {
			n++
			sp := ss.Spans().AppendEmpty()
			sp.SetName(s.name)
			sp.SetKind(s.kind)
			sp.SetTraceID(pcommon.TraceID{0xcc, byte(n)})
			sp.SetSpanID(pcommon.SpanID{0xdd, byte(n)})
			sp.SetStartTimestamp(start)
			sp.SetEndTimestamp(start + pcommon.Timestamp(20*time.Millisecond))
			putSorted(sp.Attributes(), s.attrs)
			if s.errored {
				sp.Status().SetCode(ptrace.StatusCodeError)
			}
		}
	}
	return td
}

// putSorted puts attrs in key order (a stable golden file); nil values are
// left out.
func putSorted(m pcommon.Map, attrs map[string]any) {
	keys := make([]string, 0, len(attrs))
	for k, v := range attrs {
		if v != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		_ = m.PutEmpty(k).FromRaw(attrs[k])
	}
}

func TestInstrumentedSpans(t *testing.T) {
	inPath := filepath.Join("testdata", "conventions", "traces", "input.yaml")
	if *update {
		require.NoError(t, golden.WriteTraces(t, inPath, instrumentedTraces()))
	}
	td, err := golden.ReadTraces(inPath)
	require.NoError(t, err)

	var want []outcome
	for _, in := range instrumentations {
		for _, s := range in.spans {
			want = append(want, s.want)
		}
	}
	assert.Equal(t, want, spanOutcomes(t, td))

	// The processor stamps the server spans only; the connector's metrics.
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(t.Context(), processortest.NewNopSettings(metadata.Type), createDefaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	in := ptrace.NewTraces()
	td.CopyTo(in)
	require.NoError(t, p.ConsumeTraces(t.Context(), in))
	stamped := filepath.Join("testdata", "conventions", "traces", "stamped.yaml")
	if *update {
		require.NoError(t, golden.WriteTraces(t, stamped, sink.AllTraces()[0]))
	}
	wantTraces, err := golden.ReadTraces(stamped)
	require.NoError(t, err)
	require.NoError(t, ptracetest.CompareTraces(wantTraces, sink.AllTraces()[0]))

	msink := new(consumertest.MetricsSink)
	c, err := NewConnectorFactory().CreateTracesToMetrics(t.Context(), connectortest.NewNopSettings(metadata.Type), goldenConfig(), msink)
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, c.ConsumeTraces(t.Context(), td))
	require.NoError(t, c.Shutdown(t.Context()))
	require.Len(t, msink.AllMetrics(), 1)
	checkGoldenMetrics(t, filepath.Join("conventions", "traces"), msink.AllMetrics()[0])
}

// spanOutcomes runs each span through an engine on its own.
func spanOutcomes(t *testing.T, td ptrace.Traces) []outcome {
	t.Helper()
	e := newOutcomeEngine(t)
	var out []outcome
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				one := ptrace.NewTraces()
				rs := one.ResourceSpans().AppendEmpty()
				rss.At(i).Resource().CopyTo(rs.Resource())
				spans.At(k).CopyTo(rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty())
				out = append(out, lastOutcome(e, e.consumeTraces(one, false)))
			}
		}
	}
	return out
}

// An Aster call seen as its span and as its JSON log line (seed 000) lands in
// the same class and operation: every request line of the example log has
// its span above, and the other way round.
func TestAsterSpanAndLogLineAgree(t *testing.T) {
	logs := logOutcomes(t, logsFromJSONL(t, exampleLogsPath("aster-2026-04-06.jsonl"), "aster"))
	assert.Equal(t, outcome{}, logs[0], "connection opened is no request")
	fromLogs := map[[2]string]bool{}
	for _, o := range logs[1:] {
		fromLogs[[2]string{o.Class, o.Operation}] = true
	}
	fromSpans := map[[2]string]bool{}
	for _, in := range instrumentations {
		if in.service != "aster" {
			continue
		}
		for _, s := range in.spans {
			fromSpans[[2]string{s.want.Class, s.want.Operation}] = true
		}
	}
	assert.Equal(t, fromLogs, fromSpans)
}

// One gRPC service names its requests alike in the RPC conventions before
// v1.38 (rpc.service and a bare rpc.method), after them (a qualified
// rpc.method only) and with both (rpc/dup).
func TestRPCServiceAndOperationAcrossConventionVersions(t *testing.T) {
	e := newOutcomeEngine(t)
	for name, attrs := range map[string]map[string]any{
		"old": goOtelGRPCOld("GetContract", 5),
		"new": goOtelGRPCNew("GetContract", "NOT_FOUND"),
		"dup": merge(goOtelGRPCOld("GetContract", 5), goOtelGRPCNew("GetContract", "NOT_FOUND")),
	} {
		td := ptrace.NewTraces()
		sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetKind(ptrace.SpanKindServer)
		putSorted(sp.Attributes(), attrs)
		require.Equal(t, int64(1), e.consumeTraces(td, false).byClass[statusclass.ClientError], name)
		_, _, dims := aggregate.DecodeKey(e.kb.Bytes())
		assert.Equal(t, []aggregate.Dim{{Value: "ledger.v1.Ledger", Present: true}, {Value: "GetContract", Present: true}}, dims, name)
	}
}
