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
// and operation, counts per class, error rate, rate, latency quantiles and
// the latest samples as in aistack's "recent".
type Snapshot struct {
	Totals     Totals      `json:"totals"`
	Series     int         `json:"series"`
	Operations []Operation `json:"operations"`
}

// Totals count every request since start. failed is 4xx + 5xx: busy and
// client disconnects are neither succeeded nor failed.
type Totals struct {
	Started          uint64 `json:"started"`
	Succeeded        uint64 `json:"succeeded"`
	Failed           uint64 `json:"failed"`
	Busy             uint64 `json:"busy"`
	ClientDisconnect uint64 `json:"client_disconnect"`
}

// Operation is the summary of one service and operation.
type Operation struct {
	Service           string             `json:"service"`
	Operation         string             `json:"operation"`
	Total             uint64             `json:"total"`
	Classes           map[string]uint64  `json:"classes"`
	ErrorRate         float64            `json:"error_rate"`
	RequestsPerSecond float64            `json:"requests_per_second"`
	DurationMS        *DurationSummary   `json:"duration_ms,omitempty"`
	Sums              map[string]float64 `json:"sums,omitempty"`
	Recent            []Sample           `json:"recent"`
}

// DurationSummary is in milliseconds; quantiles are estimated from the
// histogram buckets.
type DurationSummary struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Avg   float64 `json:"avg"`
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
	now := e.now().UnixNano()
	ops := e.agg.Summarize(now, e.serviceOperation)
	totals := e.agg.Totals()
	series := e.agg.Len()
	e.mu.Unlock()

	out := Snapshot{
		Totals: Totals{
			Started:          sum(totals[:]),
			Succeeded:        totals[statusclass.Success],
			Failed:           totals[statusclass.ClientError] + totals[statusclass.ServerError],
			Busy:             totals[statusclass.Busy],
			ClientDisconnect: totals[statusclass.Disconnect],
		},
		Series:     series,
		Operations: make([]Operation, 0, len(ops)),
	}
	for i := range ops {
		o := &ops[i]
		op := Operation{
			Service: o.Service, Operation: o.Operation, Total: o.Total,
			Classes:   map[string]uint64{},
			ErrorRate: o.ErrorRate, RequestsPerSecond: o.PerSecond,
			Recent: make([]Sample, 0, len(o.Recent)),
		}
		for _, c := range statusclass.All {
			op.Classes[c.String()] = o.Classes[c]
		}
		if o.Duration.Count > 0 {
			op.DurationMS = &DurationSummary{
				Count: o.Duration.Count,
				P50:   o.P50 * 1e3, P95: o.P95 * 1e3, P99: o.P99 * 1e3,
				Min: o.Duration.Min * 1e3, Max: o.Duration.Max * 1e3, Avg: o.Avg() * 1e3,
			}
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
			smp := Sample{RequestID: r.RequestID, Class: r.Class.String(), Time: time.Unix(0, r.UnixNano).UTC().Format(time.RFC3339Nano)}
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
			op.Recent = append(op.Recent, smp)
		}
		out.Operations = append(out.Operations, op)
	}
	return out
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
