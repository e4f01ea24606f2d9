// Package convention is the one table of the attribute conventions that
// redmetrics reads a request's status, method, route, path and duration
// from: OpenTelemetry's HTTP and RPC semantic conventions (old and new),
// RPC frameworks' own attributes, web servers' and proxies' JSON access
// logs, and the plain JSON fields of application access logs. The engine
// compiles it into attribute handles once; the README's tables are generated
// from it (Markdown), so the documentation cannot drift from what is read.
package convention // import "github.com/redline-otel/redline/processor/redmetricsprocessor/internal/convention"

// Numbers says what a number in a status attribute is.
type Numbers uint8

const (
	// HTTPNumbers: numbers are HTTP statuses (200, 503).
	HTTPNumbers Numbers = iota
	// GRPCNumbers: numbers are gRPC status codes (0, 5, 14).
	GRPCNumbers
)

// Protocol decides which operation rule applies.
type Protocol uint8

const (
	// EitherProtocol: the status value tells; an RPC status name ("NOT_FOUND")
	// makes an RPC, anything else HTTP.
	EitherProtocol Protocol = iota
	// HTTP: the operation is "<method> <route or path>".
	HTTP
	// RPC: the operation is the method name.
	RPC
)

// Unit is a duration unit.
type Unit string

// Duration units.
const (
	Nanoseconds  Unit = "ns"
	Microseconds Unit = "us"
	Milliseconds Unit = "ms"
	Seconds      Unit = "s"
)

// Divisor converts a value in u to seconds by division (dividing keeps
// 950 ms at 0.95 s, where multiplying by 0.001 would not); 0 for an unknown
// unit.
func (u Unit) Divisor() float64 {
	switch u {
	case Nanoseconds:
		return 1e9
	case Microseconds:
		return 1e6
	case Milliseconds:
		return 1e3
	case Seconds:
		return 1
	default:
		return 0
	}
}

// Status is an attribute that holds a request's status.
type Status struct {
	Field   string
	Numbers Numbers
}

// Duration is an attribute that holds a request's duration.
type Duration struct {
	Field string
	Unit  Unit
}

// Convention is one way of writing a request down. A record is read by the
// first convention (in Table order) whose Requires holds and one of whose
// Status attributes holds a status; its operation and duration then come
// from the same convention, so that the fields of one record are never
// mixed with another convention's.
type Convention struct {
	// Name is the convention's name in the `conventions` setting.
	Name string
	// Writers says who writes it, for the README.
	Writers  string
	Protocol Protocol
	// Status attributes, first present wins.
	Status []Status
	// Requires lists attributes of which one must be present: conventions
	// that share a status attribute ("status") are told apart by them.
	Requires []string
	// DisconnectFlags is an attribute of proxy response flags; the flag
	// "DC" (downstream connection termination) makes the request a
	// client-disconnect whatever its status.
	DisconnectFlags string
	// Service holds the service a request was made to. An RPC convention
	// with none present takes the service that qualifies the method name.
	Service []string
	// Method holds the HTTP method, or for RPC the method name (a name
	// qualified by its service, "pkg.Service/Method", counts as "Method", so
	// that old and new RPC conventions name an operation alike).
	Method []string
	// Route holds a route template, used as it is.
	Route []string
	// Path holds the request target: a path, or an absolute URL whose path
	// is taken; it is normalised (query dropped, identifiers to {id}).
	Path []string
	// RequestLine holds a whole request line, "GET /a?b HTTP/1.1", read for
	// the method and path when neither attribute is present.
	RequestLine []string
	// Durations of log records, first present wins; a span's duration is
	// always its end minus its start.
	Durations []Duration
}

// Generic is the convention of plain JSON access-log fields. Every record
// falls back to its service and duration attributes.
const Generic = "generic"

// OperationFallback names the attributes that give the operation of an HTTP
// request that has no route or path (an LLM gateway's line names its model).
var OperationFallback = []string{"model"}

// Table is every convention, in the order they are tried. The OpenTelemetry
// conventions come first, stable before old, so that a span carrying both
// (OTEL_SEMCONV_STABILITY_OPT_IN=http/dup) is read once, by its stable
// attributes. Servers that share the "status" attribute come before the
// generic fields and are told apart by Requires.
var Table = []Convention{
	{
		Name: "otel_http", Writers: "OpenTelemetry HTTP semantic conventions v1.21+ (Java agent 2.x, current Go otelhttp; others with OTEL_SEMCONV_STABILITY_OPT_IN=http)",
		Protocol: HTTP,
		Status:   []Status{{Field: "http.response.status_code"}},
		Method:   []string{"http.request.method"}, Route: []string{"http.route"}, Path: []string{"url.path"},
		Durations: []Duration{{Field: "http.server.request.duration", Unit: Seconds}},
	},
	{
		Name: "otel_http_legacy", Writers: "OpenTelemetry HTTP semantic conventions before v1.21 (Java agent 1.x; the default of many Python and JS instrumentations)",
		Protocol: HTTP,
		Status:   []Status{{Field: "http.status_code"}},
		Method:   []string{"http.method"}, Route: []string{"http.route"}, Path: []string{"http.target", "http.url"},
	},
	{
		Name: "otel_grpc", Writers: "OpenTelemetry gRPC before RPC semantic conventions v1.38 (numeric codes)",
		Protocol: RPC,
		Status:   []Status{{Field: "rpc.grpc.status_code", Numbers: GRPCNumbers}},
		Service:  []string{"rpc.service"}, Method: []string{"rpc.method"},
	},
	{
		Name: "otel_rpc", Writers: "OpenTelemetry RPC semantic conventions v1.38+ (current Go otelgrpc: code names, rpc.method qualified by its service)",
		Protocol: RPC,
		Status:   []Status{{Field: "rpc.response.status_code", Numbers: GRPCNumbers}},
		Service:  []string{"rpc.service"}, Method: []string{"rpc.method"},
	},
	{
		Name: "connect_rpc", Writers: "Connect (otelconnect); set on errors only",
		Protocol: RPC,
		Status:   []Status{{Field: "rpc.connect_rpc.error_code", Numbers: GRPCNumbers}},
		Service:  []string{"rpc.service"}, Method: []string{"rpc.method"},
	},
	{
		Name: "aster", Writers: "Aster RPC spans (rpc.system=aster); set on errors only",
		Protocol: RPC,
		Status:   []Status{{Field: "rpc.aster.error_code", Numbers: GRPCNumbers}},
		Service:  []string{"rpc.service"}, Method: []string{"rpc.method"},
	},
	{
		Name: "envoy", Writers: "Envoy and Istio JSON access logs",
		Protocol: HTTP,
		Status:   []Status{{Field: "response_code"}}, DisconnectFlags: "response_flags",
		Method: []string{"method"}, Path: []string{"path"},
		Durations: []Duration{{Field: "duration", Unit: Milliseconds}},
	},
	{
		Name: "traefik", Writers: "Traefik JSON access logs",
		Protocol: HTTP,
		Status:   []Status{{Field: "DownstreamStatus"}},
		Method:   []string{"RequestMethod"}, Path: []string{"RequestPath"},
		Durations: []Duration{{Field: "Duration", Unit: Nanoseconds}},
	},
	{
		Name: "caddy", Writers: "Caddy access logs",
		Protocol: HTTP,
		Status:   []Status{{Field: "status"}}, Requires: []string{"request.method"},
		Method: []string{"request.method"}, Path: []string{"request.uri"},
		Durations: []Duration{{Field: "duration", Unit: Seconds}},
	},
	{
		Name: "apache", Writers: "Apache httpd with the JSON LogFormat in the README (%D as request_time_us)",
		Protocol: HTTP,
		Status:   []Status{{Field: "status"}}, Requires: []string{"request_time_us"},
		Method: []string{"request_method"}, Path: []string{"request_uri"}, RequestLine: []string{"request"},
		Durations: []Duration{{Field: "request_time_us", Unit: Microseconds}},
	},
	{
		Name: "nginx", Writers: "nginx with a JSON log_format of its variables",
		Protocol: HTTP,
		Status:   []Status{{Field: "status"}},
		Requires: []string{"request_method", "request_uri", "request_time", "upstream_response_time"},
		Method:   []string{"request_method"}, Path: []string{"request_uri", "uri"}, RequestLine: []string{"request"},
		Durations: []Duration{{Field: "request_time", Unit: Seconds}, {Field: "upstream_response_time", Unit: Seconds}},
	},
	{
		Name: Generic, Writers: "application JSON access logs (aistack, Aster, Astrocyte, Apache JSON formats with these names)",
		Protocol: EitherProtocol,
		Status:   []Status{{Field: "status_code"}, {Field: "status"}},
		Service:  []string{"service", "category"},
		Method:   []string{"method"}, Path: []string{"path", "uri", "url"},
		Durations: []Duration{
			{Field: "duration_ms", Unit: Milliseconds}, {Field: "latency_ms", Unit: Milliseconds},
			{Field: "duration_s", Unit: Seconds}, {Field: "duration_us", Unit: Microseconds},
		},
	},
}

// Names lists the conventions' names in Table order.
func Names() []string {
	out := make([]string, len(Table))
	for i, c := range Table {
		out[i] = c.Name
	}
	return out
}

// Lookup returns the convention named name.
func Lookup(name string) (Convention, bool) {
	for _, c := range Table {
		if c.Name == name {
			return c, true
		}
	}
	return Convention{}, false
}
