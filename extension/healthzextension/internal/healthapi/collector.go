package healthapi // import "github.com/redline-otel/redline/extension/healthzextension/internal/healthapi"

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/redline-otel/redline/extension/healthzextension/internal/sources"
	"github.com/redline-otel/redline/extension/healthzextension/internal/status"
)

// Names of the extension's own metrics on /metrics/prometheus.
const (
	MetricUp              = "redline_up"
	MetricReady           = "redline_ready"
	MetricStartTime       = "redline_start_time_seconds"
	MetricComponentStatus = "redline_component_status"
	MetricSources         = "redline_snapshot_sources"
)

// statusCollector exposes the aggregator's verdicts as gauges, read at
// scrape time so they can never disagree with /healthz and /readyz.
type statusCollector struct {
	agg     *status.Aggregator
	sources *sources.Registry

	up, ready, startTime, componentStatus, sourceCount *prometheus.Desc
}

func newStatusCollector(agg *status.Aggregator, srcs *sources.Registry) *statusCollector {
	return &statusCollector{
		agg:     agg,
		sources: srcs,
		up: prometheus.NewDesc(MetricUp,
			"1 while no component has reported a fatal error (GET /healthz answers 200), else 0.", nil, nil),
		ready: prometheus.NewDesc(MetricReady,
			"1 while the collector accepts data (GET /readyz answers 200), else 0.", nil, nil),
		startTime: prometheus.NewDesc(MetricStartTime,
			"Unix time at which the healthz extension was created, close to the collector's start.", nil, nil),
		componentStatus: prometheus.NewDesc(MetricComponentStatus,
			"1 for the current status of a component instance in a pipeline, 0 for every other status.",
			[]string{"component", "pipeline", "status"}, nil),
		sourceCount: prometheus.NewDesc(MetricSources,
			"Number of component sources registered for GET /metrics.", nil, nil),
	}
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.ready
	ch <- c.startTime
	ch <- c.componentStatus
	ch <- c.sourceCount
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, boolGauge(c.agg.Liveness().Alive))
	ch <- prometheus.MustNewConstMetric(c.ready, prometheus.GaugeValue, boolGauge(c.agg.Readiness().Ready))
	ch <- prometheus.MustNewConstMetric(c.startTime, prometheus.GaugeValue,
		float64(c.agg.StartTime().UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(c.sourceCount, prometheus.GaugeValue, float64(c.sources.Len()))

	// One series per (component, pipeline, status). A receiver or exporter
	// instance spans the pipelines of one signal; a connector instance spans
	// both sides and can share a pipeline with another instance of itself,
	// so the worst status wins where (component, pipeline) repeats.
	// Extensions have no pipeline.
	type seriesKey struct{ component, pipeline string }
	current := map[seriesKey]status.Status{}
	var order []seriesKey
	for _, comp := range c.agg.Report().Components {
		pipelines := comp.Pipelines
		if len(pipelines) == 0 {
			pipelines = []string{""}
		}
		for _, p := range pipelines {
			k := seriesKey{comp.Name, p}
			prev, seen := current[k]
			if !seen {
				order = append(order, k)
			}
			if !seen || status.Worse(comp.Status, prev) {
				current[k] = comp.Status
			}
		}
	}
	for _, k := range order {
		for _, s := range status.AllStatuses {
			ch <- prometheus.MustNewConstMetric(c.componentStatus, prometheus.GaugeValue,
				boolGauge(current[k] == s), k.component, k.pipeline, s.String())
		}
	}
}
