package redmetricsprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
)

const (
	metricRequests      = "red.requests"
	metricDuration      = "red.duration"
	overflowAttribute   = "otel.metric.overflow"
	unitRequests        = "{request}"
	unitSeconds         = "s"
	descriptionRequests = "Requests, by status class (2xx, 4xx, 5xx, 503-busy, client-disconnect)."
	descriptionDuration = "Request duration."
)

// resourceMetrics holds the metrics of one resource while a flush is built.
type resourceMetrics struct {
	requests pmetric.NumberDataPointSlice
	explicit pmetric.HistogramDataPointSlice
	expo     pmetric.ExponentialHistogramDataPointSlice
	sums     []pmetric.NumberDataPointSlice
}

// buildMetricsLocked flushes the aggregator into OTLP metrics; e.mu is held.
func (e *engine) buildMetricsLocked(now int64, md pmetric.Metrics) aggregate.FlushStats {
	temporality := pmetric.AggregationTemporalityCumulative
	if e.agg.Config().Temporality == aggregate.Delta {
		temporality = pmetric.AggregationTemporalityDelta
	}
	bounds := e.agg.Config().Bounds
	// Size the data point slices up front: growing them one append at a
	// time dominated the flush of many series.
	perGroup := map[aggregate.GroupID]int{}
	e.agg.Each(func(s *aggregate.Series) { perGroup[s.Group]++ })
	byGroup := make(map[aggregate.GroupID]*resourceMetrics, len(perGroup))
	ts := pcommon.Timestamp(now)
	st := e.agg.Flush(now, func(s *aggregate.Series) {
		rm := byGroup[s.Group]
		if rm == nil {
			rm = e.newResourceMetrics(md, s.Group, temporality, perGroup[s.Group])
			byGroup[s.Group] = rm
		}
		start := pcommon.Timestamp(s.StartUnixNano)

		dp := rm.requests.AppendEmpty()
		e.putSeriesAttributes(dp.Attributes(), s)
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.SetIntValue(int64(s.Count))
		attrs := dp.Attributes()

		if s.HasHistogram() {
			var exemplars pmetric.ExemplarSlice
			if e.exponential {
				h := rm.expo.AppendEmpty()
				attrs.CopyTo(h.Attributes())
				h.SetStartTimestamp(start)
				h.SetTimestamp(ts)
				x := s.Exp
				h.SetCount(x.Count)
				h.SetSum(x.Sum)
				if x.Count > 0 {
					h.SetMin(x.Min)
					h.SetMax(x.Max)
				}
				h.SetScale(x.Scale)
				h.SetZeroCount(x.ZeroCount)
				h.Positive().SetOffset(x.Offset)
				h.Positive().BucketCounts().FromRaw(x.Counts)
				exemplars = h.Exemplars()
			} else {
				h := rm.explicit.AppendEmpty()
				attrs.CopyTo(h.Attributes())
				h.SetStartTimestamp(start)
				h.SetTimestamp(ts)
				d := &s.Duration
				h.SetCount(d.Count)
				h.SetSum(d.Sum)
				if d.Count > 0 {
					h.SetMin(d.Min)
					h.SetMax(d.Max)
				}
				h.ExplicitBounds().FromRaw(bounds)
				h.BucketCounts().FromRaw(d.Buckets)
				exemplars = h.Exemplars()
			}
			for _, x := range s.Exemplars() {
				ex := exemplars.AppendEmpty()
				ex.SetTimestamp(pcommon.Timestamp(x.TimeUnixNano))
				ex.SetDoubleValue(x.Value)
				ex.SetTraceID(x.TraceID)
				ex.SetSpanID(x.SpanID)
			}
		}
		for i := range rm.sums {
			if s.SumSeen&(1<<i) == 0 {
				continue
			}
			sp := rm.sums[i].AppendEmpty()
			attrs.CopyTo(sp.Attributes())
			sp.SetStartTimestamp(start)
			sp.SetTimestamp(ts)
			sp.SetDoubleValue(s.Sums[i])
		}
	})
	return st
}

func (e *engine) newResourceMetrics(md pmetric.Metrics, gid aggregate.GroupID, temporality pmetric.AggregationTemporality, series int) *resourceMetrics {
	rms := md.ResourceMetrics().AppendEmpty()
	if g := e.groups[gid]; g != nil {
		g.resource.CopyTo(rms.Resource())
	}
	sm := rms.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(metadata.ScopeName)
	ms := sm.Metrics()
	rm := &resourceMetrics{}

	req := ms.AppendEmpty()
	req.SetName(metricRequests)
	req.SetUnit(unitRequests)
	req.SetDescription(descriptionRequests)
	sum := req.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(temporality)
	rm.requests = sum.DataPoints()
	rm.requests.EnsureCapacity(series)

	dur := ms.AppendEmpty()
	dur.SetName(metricDuration)
	dur.SetUnit(unitSeconds)
	dur.SetDescription(descriptionDuration)
	if e.exponential {
		h := dur.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(temporality)
		rm.expo = h.DataPoints()
		rm.expo.EnsureCapacity(series)
	} else {
		h := dur.SetEmptyHistogram()
		h.SetAggregationTemporality(temporality)
		rm.explicit = h.DataPoints()
		rm.explicit.EnsureCapacity(series)
	}
	for _, sc := range e.sumConfigs {
		m := ms.AppendEmpty()
		m.SetName(sc.metricName())
		m.SetUnit(sc.unit())
		m.SetDescription("Sum of the " + sc.Field + " field of requests.")
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(temporality)
		rm.sums = append(rm.sums, s.DataPoints())
	}
	return rm
}

func (e *engine) putSeriesAttributes(m pcommon.Map, s *aggregate.Series) {
	m.EnsureCapacity(len(e.dims) + 2)
	if s.Overflow {
		m.PutBool(overflowAttribute, true)
	}
	for i, d := range s.Dims {
		if d.Present && i < len(e.dims) {
			m.PutStr(e.dims[i].name, d.Value)
		}
	}
	m.PutStr(statusClassDimension, s.Class.String())
}

// dropEmptyMetrics removes metrics with no data points (a resource whose
// series had no durations, or never saw a sum field), so that the output
// has no empty metrics.
func dropEmptyMetrics(md pmetric.Metrics) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sms.At(j).Metrics().RemoveIf(func(m pmetric.Metric) bool {
				switch m.Type() {
				case pmetric.MetricTypeSum:
					return m.Sum().DataPoints().Len() == 0
				case pmetric.MetricTypeHistogram:
					return m.Histogram().DataPoints().Len() == 0
				case pmetric.MetricTypeExponentialHistogram:
					return m.ExponentialHistogram().DataPoints().Len() == 0
				default:
					return false
				}
			})
		}
	}
}
