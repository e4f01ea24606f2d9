package redmetricsprocessor

import (
	"math"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
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
	requests    pmetric.NumberDataPointSlice
	explicit    pmetric.HistogramDataPointSlice
	expo        pmetric.ExponentialHistogramDataPointSlice
	sums        []pmetric.NumberDataPointSlice
	usageTokens pmetric.NumberDataPointSlice
	usageCost   pmetric.NumberDataPointSlice
}

// flushPoint is one series' values, copied while the aggregate is locked so
// that the OTLP metrics can be built after it is unlocked: building them
// takes milliseconds for 10,000 series, copying a few hundred microseconds,
// and records wait for the lock only during the copy.
type flushPoint struct {
	group    aggregate.GroupID
	class    statusclass.Class
	overflow bool
	// dims is the series' own slice: it is never changed once the series
	// exists, so it may be read after the lock is released.
	dims  []aggregate.Dim
	start int64
	count uint64

	hasHist             bool
	histCount, histZero uint64
	histSum             float64
	histMin, histMax    float64
	expScale, expOffset int32
	// buckets and exemplars index flushBuffer.counts and .exemplars; sums
	// indexes flushBuffer.sums (one value per sum field).
	buckets, exemplars span
	sums               int
	sumSeen            uint64
}

type span struct{ from, to int }

// usagePoint is one usage series' values, copied as flushPoint is.
type usagePoint struct {
	group    aggregate.GroupID
	overflow bool
	dims     []aggregate.Dim
	start    int64
	sums     [usageSums]float64
	seen     uint64
}

// flushBuffer holds one flush's copy of the aggregate. The connector reuses
// it from flush to flush (flushes are serialised), so the copy does not
// allocate at steady state.
type flushBuffer struct {
	points    []flushPoint
	usage     []usagePoint
	counts    []uint64
	exemplars []aggregate.Exemplar
	sums      []float64
	// groups are the resources of the copied series; a group is never
	// changed once created.
	groups map[aggregate.GroupID]*group
	// perGroup counts the points of each group, to size the slices.
	perGroup map[aggregate.GroupID]int
}

func (b *flushBuffer) reset() {
	b.points, b.counts, b.exemplars, b.sums = b.points[:0], b.counts[:0], b.exemplars[:0], b.sums[:0]
	b.usage = b.usage[:0]
	if b.groups == nil {
		b.groups = map[aggregate.GroupID]*group{}
		b.perGroup = map[aggregate.GroupID]int{}
	}
	clear(b.groups)
	clear(b.perGroup)
}

// flushLocked flushes the aggregators into buf (expiring old series and,
// for delta, resetting the values); e.mu is held. It returns the RED
// aggregate's stats and drops resources no series refers to any more.
func (e *engine) flushLocked(now int64, buf *flushBuffer) aggregate.FlushStats {
	st := e.flushRequestsLocked(now, buf)
	usageExpired := e.flushUsageLocked(now, buf)
	if st.Expired > 0 || usageExpired > 0 {
		e.pruneGroupsLocked()
	}
	return st
}

func (e *engine) flushUsageLocked(now int64, buf *flushBuffer) int {
	if !e.usageOn {
		return 0
	}
	st := e.usage.agg.Flush(now, func(s *aggregate.Series) {
		p := usagePoint{group: s.Group, overflow: s.Overflow, dims: s.Dims, start: s.StartUnixNano, seen: s.SumSeen}
		copy(p.sums[:], s.Sums)
		buf.usage = append(buf.usage, p)
		buf.addGroup(s.Group, e.groups[s.Group])
	})
	return st.Expired
}

func (b *flushBuffer) addGroup(id aggregate.GroupID, g *group) {
	if _, ok := b.groups[id]; !ok {
		b.groups[id] = g
	}
	b.perGroup[id]++
}

func (e *engine) flushRequestsLocked(now int64, buf *flushBuffer) aggregate.FlushStats {
	buf.reset()
	buf.points = slices.Grow(buf.points, e.agg.Len())
	nSums := len(e.sumConfigs)
	st := e.agg.Flush(now, func(s *aggregate.Series) {
		p := flushPoint{
			group: s.Group, class: s.Class, overflow: s.Overflow, dims: s.Dims,
			start: s.StartUnixNano, count: s.Count, hasHist: s.HasHistogram(),
			sums: len(buf.sums), sumSeen: s.SumSeen,
		}
		if p.hasHist {
			from := len(buf.counts)
			if e.exponential {
				x := s.Exp
				p.histCount, p.histZero, p.histSum, p.histMin, p.histMax = x.Count, x.ZeroCount, x.Sum, x.Min, x.Max
				p.expScale, p.expOffset = x.Scale, x.Offset
				buf.counts = append(buf.counts, x.Counts...)
			} else {
				d := &s.Duration
				p.histCount, p.histSum, p.histMin, p.histMax = d.Count, d.Sum, d.Min, d.Max
				buf.counts = append(buf.counts, d.Buckets...)
			}
			p.buckets = span{from, len(buf.counts)}
			from = len(buf.exemplars)
			buf.exemplars = append(buf.exemplars, s.Exemplars()...)
			p.exemplars = span{from, len(buf.exemplars)}
		}
		if nSums > 0 {
			buf.sums = append(buf.sums, s.Sums[:nSums]...)
		}
		buf.points = append(buf.points, p)
		buf.addGroup(s.Group, e.groups[s.Group])
	})
	return st
}

// buildMetrics turns a flushed copy into OTLP metrics; it needs no lock.
// now is the end of the interval.
func (e *engine) buildMetrics(buf *flushBuffer, now int64, md pmetric.Metrics) {
	temporality := pmetric.AggregationTemporalityCumulative
	if e.agg.Config().Temporality == aggregate.Delta {
		temporality = pmetric.AggregationTemporalityDelta
	}
	bounds := e.agg.Config().Bounds
	// Size the data point slices up front: growing them one append at a
	// time dominated the flush of many series.
	byGroup := make(map[aggregate.GroupID]*resourceMetrics, len(buf.perGroup))
	resourceOf := func(id aggregate.GroupID) *resourceMetrics {
		rm := byGroup[id]
		if rm == nil {
			rm = e.newResourceMetrics(md, buf.groups[id], temporality, buf.perGroup[id])
			byGroup[id] = rm
		}
		return rm
	}
	ts := pcommon.Timestamp(now)
	for i := range buf.usage {
		e.buildUsage(resourceOf(buf.usage[i].group), &buf.usage[i], ts)
	}
	for i := range buf.points {
		p := &buf.points[i]
		rm := resourceOf(p.group)
		start := pcommon.Timestamp(p.start)

		dp := rm.requests.AppendEmpty()
		e.putSeriesAttributes(dp.Attributes(), p)
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.SetIntValue(int64(p.count))
		attrs := dp.Attributes()

		if p.hasHist {
			var exemplars pmetric.ExemplarSlice
			counts := buf.counts[p.buckets.from:p.buckets.to]
			if e.exponential {
				h := rm.expo.AppendEmpty()
				attrs.CopyTo(h.Attributes())
				h.SetStartTimestamp(start)
				h.SetTimestamp(ts)
				h.SetCount(p.histCount)
				h.SetSum(p.histSum)
				if p.histCount > 0 {
					h.SetMin(p.histMin)
					h.SetMax(p.histMax)
				}
				h.SetScale(p.expScale)
				h.SetZeroCount(p.histZero)
				h.Positive().SetOffset(p.expOffset)
				h.Positive().BucketCounts().FromRaw(counts)
				exemplars = h.Exemplars()
			} else {
				h := rm.explicit.AppendEmpty()
				attrs.CopyTo(h.Attributes())
				h.SetStartTimestamp(start)
				h.SetTimestamp(ts)
				h.SetCount(p.histCount)
				h.SetSum(p.histSum)
				if p.histCount > 0 {
					h.SetMin(p.histMin)
					h.SetMax(p.histMax)
				}
				h.ExplicitBounds().FromRaw(bounds)
				h.BucketCounts().FromRaw(counts)
				exemplars = h.Exemplars()
			}
			for _, x := range buf.exemplars[p.exemplars.from:p.exemplars.to] {
				ex := exemplars.AppendEmpty()
				ex.SetTimestamp(pcommon.Timestamp(x.TimeUnixNano))
				ex.SetDoubleValue(x.Value)
				ex.SetTraceID(x.TraceID)
				ex.SetSpanID(x.SpanID)
			}
		}
		for i := range rm.sums {
			if p.sumSeen&(1<<i) == 0 {
				continue
			}
			sp := rm.sums[i].AppendEmpty()
			attrs.CopyTo(sp.Attributes())
			sp.SetStartTimestamp(start)
			sp.SetTimestamp(ts)
			sp.SetDoubleValue(buf.sums[p.sums+i])
		}
	}
}

func (e *engine) newResourceMetrics(md pmetric.Metrics, g *group, temporality pmetric.AggregationTemporality, series int) *resourceMetrics {
	rms := md.ResourceMetrics().AppendEmpty()
	if g != nil {
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
		rm.sums = append(rm.sums, newSum(ms, sc.metricName(), sc.unit(), "Sum of the "+sc.Field+" field of requests.", temporality))
	}
	if e.usageOn {
		rm.usageTokens = newSum(ms, metricUsageTokens, unitTokens, "Tokens of model calls, by direction (input, output).", temporality)
		rm.usageCost = newSum(ms, metricUsageCost, unitUSD, "Cost of model calls: as the call reported it, else from the price table.", temporality)
	}
	return rm
}

func newSum(ms pmetric.MetricSlice, name, unit, description string, temporality pmetric.AggregationTemporality) pmetric.NumberDataPointSlice {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	m.SetDescription(description)
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(temporality)
	return s.DataPoints()
}

// buildUsage adds a usage series' token and cost points.
func (e *engine) buildUsage(rm *resourceMetrics, p *usagePoint, ts pcommon.Timestamp) {
	put := func(dps pmetric.NumberDataPointSlice, direction string) pmetric.NumberDataPoint {
		dp := dps.AppendEmpty()
		dp.SetStartTimestamp(pcommon.Timestamp(p.start))
		dp.SetTimestamp(ts)
		attrs := dp.Attributes()
		if p.overflow {
			attrs.PutBool(overflowAttribute, true)
		}
		for i, d := range p.dims {
			if d.Present && i < len(usageDimensions) {
				attrs.PutStr(usageDimensions[i], d.Value)
			}
		}
		if direction != "" {
			attrs.PutStr("direction", direction)
		}
		return dp
	}
	if p.seen&(1<<usageInput) != 0 {
		put(rm.usageTokens, directionInput).SetIntValue(int64(math.Round(p.sums[usageInput])))
	}
	if p.seen&(1<<usageOutput) != 0 {
		put(rm.usageTokens, directionOutput).SetIntValue(int64(math.Round(p.sums[usageOutput])))
	}
	if p.seen&(1<<usageCost) != 0 {
		put(rm.usageCost, "").SetDoubleValue(p.sums[usageCost])
	}
}

func (e *engine) putSeriesAttributes(m pcommon.Map, p *flushPoint) {
	m.EnsureCapacity(len(e.dims) + 2)
	if p.overflow {
		m.PutBool(overflowAttribute, true)
	}
	for i, d := range p.dims {
		if d.Present && i < len(e.dims) {
			m.PutStr(e.dims[i].name, d.Value)
		}
	}
	m.PutStr(statusClassDimension, p.class.String())
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
