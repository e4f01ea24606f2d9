package redmetricsprocessor

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// Prometheus family names on the healthz extension; the same names that the
// connector's red.requests and red.duration get from a Prometheus exporter.
const (
	promRequests = "red_requests_total"
	promDuration = "red_duration_seconds"
	promFieldSum = "redline_redmetrics_field_sum_total"
)

// snapshotSource serves the processor's aggregates to the healthz extension
// as JSON (Snapshot) and Prometheus text (Collect).
type snapshotSource struct {
	engine *engine
}

var (
	_ snapshot.Source      = (*snapshotSource)(nil)
	_ prometheus.Collector = (*snapshotSource)(nil)
)

// Snapshot is the JSON document: totals in Aster's shape plus, per service
// and operation, counts per class, error rate, latency quantiles since start
// and over the rolling window, rate over the window, and the latest samples
// as in aistack's "recent". There is no in-flight figure: the processor sees
// requests only once they have completed.
type Snapshot struct {
	Totals Totals `json:"totals"`
	// Window is the rolling window's span and totals; absent before the
	// first request.
	Window     *WindowTotals `json:"window,omitempty"`
	Series     int           `json:"series"`
	Operations []Operation   `json:"operations"`
	// Usage is per model and provider; absent when usage is off or no
	// record named a model.
	Usage []UsageEntry `json:"usage,omitempty"`
}

// Totals count every request since start. failed is 4xx + 5xx: busy and
// client disconnects are neither succeeded nor failed.
type Totals struct {
	Started          uint64  `json:"started"`
	Succeeded        uint64  `json:"succeeded"`
	Failed           uint64  `json:"failed"`
	Busy             uint64  `json:"busy"`
	ClientDisconnect uint64  `json:"client_disconnect"`
	ErrorRate        float64 `json:"error_rate"`
}

// WindowTotals are the totals of the rolling window: the requests whose own
// time falls within it, over the live series.
type WindowTotals struct {
	// Seconds is the configured length (rolling_window).
	Seconds float64 `json:"seconds"`
	// Start and End bound the request time covered: End is the latest
	// request seen, Start the window's oldest slot (or the first request).
	Start string `json:"start"`
	End   string `json:"end"`
	Totals
	RequestsPerSecond float64 `json:"requests_per_second"`
}

// Operation is the summary of one service and operation.
type Operation struct {
	Service   string            `json:"service"`
	Operation string            `json:"operation"`
	Total     uint64            `json:"total"`
	Classes   map[string]uint64 `json:"classes"`
	ErrorRate float64           `json:"error_rate"`
	// RequestsPerSecond is over the rolling window (Window has the rest).
	RequestsPerSecond float64            `json:"requests_per_second"`
	DurationMS        *DurationSummary   `json:"duration_ms,omitempty"`
	Window            *OperationWindow   `json:"window,omitempty"`
	Sums              map[string]float64 `json:"sums,omitempty"`
	Recent            []Sample           `json:"recent"`
}

// DurationSummary is in milliseconds, since start; quantiles are estimated
// from the histogram buckets.
type DurationSummary struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Avg   float64 `json:"avg"`
	Sum   float64 `json:"sum"`
}

// OperationWindow is an operation over the rolling window.
type OperationWindow struct {
	Total             uint64            `json:"total"`
	Classes           map[string]uint64 `json:"classes"`
	ErrorRate         float64           `json:"error_rate"`
	RequestsPerSecond float64           `json:"requests_per_second"`
	DurationMS        *WindowDuration   `json:"duration_ms,omitempty"`
}

// WindowDuration is in milliseconds. The window keeps buckets, not
// observations, so it has no exact minimum and maximum.
type WindowDuration struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Avg   float64 `json:"avg"`
	Sum   float64 `json:"sum"`
}

// Sample is one of the latest requests.
type Sample struct {
	RequestID  string   `json:"request_id,omitempty"`
	TraceID    string   `json:"trace_id,omitempty"`
	Status     any      `json:"status"`
	Class      string   `json:"class"`
	DurationMS *float64 `json:"duration_ms,omitempty"`
	Time       string   `json:"time"`
}

// Snapshot implements snapshot.Source.
func (s *snapshotSource) Snapshot() any {
	e := s.engine
	e.mu.Lock()
	ops := e.agg.Summarize(e.serviceOperation)
	totals := e.agg.Totals()
	span, hasWindow := e.agg.Window()
	series := e.agg.Len()
	usage := e.usageSnapshot()
	e.mu.Unlock()

	out := Snapshot{
		Totals:     totalsOf(totals),
		Series:     series,
		Operations: make([]Operation, 0, len(ops)),
		Usage:      usage,
	}
	var window [statusclass.Count + 1]uint64
	for i := range ops {
		out.Operations = append(out.Operations, e.operationOf(&ops[i], hasWindow))
		for c, n := range ops[i].Window.Classes {
			window[c] += n
		}
	}
	if hasWindow {
		out.Window = &WindowTotals{
			Seconds: e.agg.Config().Window.Seconds(),
			Start:   timeString(span.StartUnixNano), End: timeString(span.EndUnixNano),
			Totals: totalsOf(window),
		}
		out.Window.RequestsPerSecond = float64(out.Window.Started) / span.Seconds()
	}
	return out
}

func totalsOf(byClass [statusclass.Count + 1]uint64) Totals {
	t := Totals{
		Started:          sum(byClass[:]),
		Succeeded:        byClass[statusclass.Success],
		Failed:           byClass[statusclass.ClientError] + byClass[statusclass.ServerError],
		Busy:             byClass[statusclass.Busy],
		ClientDisconnect: byClass[statusclass.Disconnect],
	}
	if t.Started > 0 {
		t.ErrorRate = float64(t.Failed) / float64(t.Started)
	}
	return t
}

func timeString(unixNano int64) string {
	return time.Unix(0, unixNano).UTC().Format(time.RFC3339Nano)
}

func classCounts(byClass [statusclass.Count + 1]uint64) map[string]uint64 {
	out := make(map[string]uint64, statusclass.Count)
	for _, c := range statusclass.All {
		out[c.String()] = byClass[c]
	}
	return out
}

func (e *engine) operationOf(o *aggregate.OpStats, hasWindow bool) Operation {
	op := Operation{
		Service: o.Service, Operation: o.Operation, Total: o.Total,
		Classes:   classCounts(o.Classes),
		ErrorRate: o.ErrorRate, RequestsPerSecond: o.Window.PerSecond,
		Recent: make([]Sample, 0, len(o.Recent)),
	}
	if d := &o.Duration; d.Count > 0 {
		op.DurationMS = &DurationSummary{
			Count: d.Count,
			P50:   o.P50 * 1e3, P95: o.P95 * 1e3, P99: o.P99 * 1e3,
			Min: d.Min * 1e3, Max: d.Max * 1e3, Avg: o.Avg() * 1e3, Sum: d.Sum * 1e3,
		}
	}
	if hasWindow {
		op.Window = windowOf(&o.Window)
	}
	for j, sc := range e.sumConfigs {
		if o.SumSeen&(1<<j) != 0 {
			if op.Sums == nil {
				op.Sums = map[string]float64{}
			}
			op.Sums[sc.metricName()] = o.Sums[j]
		}
	}
	for _, r := range o.Recent {
		op.Recent = append(op.Recent, sampleOf(r))
	}
	return op
}

func windowOf(w *aggregate.WindowStats) *OperationWindow {
	out := &OperationWindow{
		Total: w.Total, Classes: classCounts(w.Classes),
		ErrorRate: w.ErrorRate, RequestsPerSecond: w.PerSecond,
	}
	if d := &w.Duration; d.Count > 0 {
		out.DurationMS = &WindowDuration{
			Count: d.Count, P50: w.P50 * 1e3, P95: w.P95 * 1e3, P99: w.P99 * 1e3,
			Avg: d.Sum / float64(d.Count) * 1e3, Sum: d.Sum * 1e3,
		}
	}
	return out
}

func sampleOf(r aggregate.Recent) Sample {
	smp := Sample{RequestID: r.RequestID, Class: r.Class.String(), Time: timeString(r.UnixNano)}
	if r.StatusText != "" {
		smp.Status = r.StatusText
	} else {
		smp.Status = r.StatusCode
	}
	if r.TraceID != ([16]byte{}) {
		smp.TraceID = hex.EncodeToString(r.TraceID[:])
	}
	if r.HasDur {
		ms := r.Duration * 1e3
		smp.DurationMS = &ms
	}
	return smp
}

func sum(xs []uint64) uint64 {
	var n uint64
	for _, x := range xs {
		n += x
	}
	return n
}

// serviceOperation groups series for the snapshot: the "service" dimension,
// else the resource's service.name; and the "operation" dimension.
func (e *engine) serviceOperation(s *aggregate.Series) (string, string) {
	var svc, op string
	for i, d := range s.Dims {
		if !d.Present || i >= len(e.dims) {
			continue
		}
		switch e.dims[i].name {
		case "service":
			svc = d.Value
		case operationDimension:
			op = d.Value
		}
	}
	if svc == "" {
		if g := e.groups[s.Group]; g != nil {
			svc = g.serviceName
		}
	}
	if s.Overflow {
		op = "(overflow)"
	}
	return svc, op
}

// labelNames are the Prometheus labels: the dimensions, then status_class.
func (e *engine) labelNames() []string {
	out := make([]string, 0, len(e.dims)+1)
	for _, d := range e.dims {
		out = append(out, promLabel(d.name))
	}
	return append(out, statusClassDimension)
}

func (s *snapshotSource) descs() (req, dur, field *prometheus.Desc) {
	labels := s.engine.labelNames()
	req = prometheus.NewDesc(promRequests, "Requests by status class, from the redmetrics processor.", labels, nil)
	dur = prometheus.NewDesc(promDuration, "Request duration in seconds, from the redmetrics processor.", labels, nil)
	field = prometheus.NewDesc(promFieldSum, "Sum of a numeric request field (sum_fields), from the redmetrics processor.", append([]string{"field"}, labels...), nil)
	return req, dur, field
}

// Describe implements prometheus.Collector.
func (s *snapshotSource) Describe(ch chan<- *prometheus.Desc) {
	req, dur, field := s.descs()
	ch <- req
	ch <- dur
	if len(s.engine.sumConfigs) > 0 {
		ch <- field
	}
}

// promSeries merges the series that share label values (they differ only in
// resource, which the Prometheus view does not show).
type promSeries struct {
	labels []string
	count  uint64
	hist   aggregate.Histogram
	sums   []float64
	seen   uint64
}

// Collect implements prometheus.Collector.
func (s *snapshotSource) Collect(ch chan<- prometheus.Metric) {
	e := s.engine
	reqDesc, durDesc, fieldDesc := s.descs()
	e.mu.Lock()
	bounds := e.agg.Config().Bounds
	merged := map[string]*promSeries{}
	var order []string
	e.agg.Each(func(ser *aggregate.Series) {
		labels := make([]string, len(e.dims)+1)
		for i, d := range ser.Dims {
			if d.Present && i < len(e.dims) {
				labels[i] = d.Value
			}
		}
		// As in the JSON view, a missing service falls back to the
		// resource's service.name (the OTLP output keeps it on the resource).
		if i := e.serviceDim; i >= 0 && labels[i] == "" && !ser.Overflow {
			if g := e.groups[ser.Group]; g != nil {
				labels[i] = g.serviceName
			}
		}
		labels[len(e.dims)] = ser.Class.String()
		k := strings.Join(labels, "\x00")
		m := merged[k]
		if m == nil {
			m = &promSeries{labels: labels, hist: aggregate.Histogram{Buckets: make([]uint64, len(bounds)+1)}, sums: make([]float64, len(e.sumConfigs))}
			merged[k] = m
			order = append(order, k)
		}
		m.count += ser.Count
		mergeHist(&m.hist, &ser.Duration)
		for i := range ser.Sums {
			m.sums[i] += ser.Sums[i]
		}
		m.seen |= ser.SumSeen
	})
	e.mu.Unlock()

	for _, k := range order {
		m := merged[k]
		ch <- prometheus.MustNewConstMetric(reqDesc, prometheus.CounterValue, float64(m.count), m.labels...)
		if m.hist.Count > 0 {
			buckets := make(map[float64]uint64, len(bounds))
			var cum uint64
			for i, b := range bounds {
				cum += m.hist.Buckets[i]
				buckets[b] = cum
			}
			ch <- prometheus.MustNewConstHistogram(durDesc, m.hist.Count, m.hist.Sum, buckets, m.labels...)
		}
		for i, sc := range e.sumConfigs {
			if m.seen&(1<<i) != 0 {
				ch <- prometheus.MustNewConstMetric(fieldDesc, prometheus.CounterValue, m.sums[i], append([]string{sc.metricName()}, m.labels...)...)
			}
		}
	}
}

func mergeHist(dst, src *aggregate.Histogram) {
	if src.Count == 0 {
		return
	}
	dst.Count += src.Count
	dst.Sum += src.Sum
	for i := range src.Buckets {
		dst.Buckets[i] += src.Buckets[i]
	}
}

// promLabel turns an attribute name into a Prometheus label name.
func promLabel(name string) string {
	b := []byte(name)
	for i, c := range b {
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
