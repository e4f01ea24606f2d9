package aggregate

import (
	"math"
	"sort"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// OpStats summarises the series of one (service, operation) pair.
type OpStats struct {
	Service   string
	Operation string
	Total     uint64
	// Classes counts requests by class, indexed by statusclass.Class.
	Classes [statusclass.Count + 1]uint64
	// ErrorRate is (4xx + 5xx) / total.
	ErrorRate float64
	// Window has the figures of the rolling window (Config.Window).
	Window WindowStats
	// Duration merges the series' histograms (seconds).
	Duration Histogram
	// P50, P95, P99 are estimated from the histogram buckets.
	P50, P95, P99 float64
	// Sums are the summed numeric fields.
	Sums    []float64
	SumSeen uint64
	// Recent holds the latest samples, oldest first.
	Recent []Recent
}

// Avg is the mean duration in seconds.
func (o *OpStats) Avg() float64 {
	if o.Duration.Count == 0 {
		return 0
	}
	return o.Duration.Sum / float64(o.Duration.Count)
}

// Summarize groups the live series by the (service, operation) pair that
// groupOf returns, sorted by service then operation.
func (a *Aggregator) Summarize(groupOf func(*Series) (service, operation string)) []OpStats {
	type pair struct{ svc, op string }
	idx := map[pair]int{}
	var out []OpStats
	var recent [][]Recent
	span, hasWindow := a.Window()
	nb := len(a.cfg.Bounds) + 1
	a.Each(func(s *Series) {
		svc, op := groupOf(s)
		i, ok := idx[pair{svc, op}]
		if !ok {
			i = len(out)
			idx[pair{svc, op}] = i
			out = append(out, OpStats{
				Service: svc, Operation: op,
				Duration: Histogram{Buckets: make([]uint64, nb)},
				Window:   WindowStats{Duration: Histogram{Buckets: make([]uint64, nb)}},
				Sums:     make([]float64, a.cfg.SumFields),
			})
			recent = append(recent, nil)
		}
		o := &out[i]
		o.Total += s.Count
		o.Classes[s.Class] += s.Count
		o.Duration.merge(&s.Duration)
		for j := range s.Sums {
			o.Sums[j] += s.Sums[j]
		}
		o.SumSeen |= s.SumSeen
		if hasWindow && s.win != nil {
			s.win.mergeInto(&o.Window, s, span.fromPeriod)
		}
		recent[i] = append(recent[i], s.RecentSamples()...)
	})
	for i := range out {
		o := &out[i]
		if o.Total > 0 {
			o.ErrorRate = float64(o.Classes[statusclass.ClientError]+o.Classes[statusclass.ServerError]) / float64(o.Total)
		}
		if hasWindow {
			finishWindow(&o.Window, a.cfg.Bounds, o.Duration.Min, o.Duration.Max, span.Seconds())
		}
		o.P50 = Quantile(a.cfg.Bounds, &o.Duration, 0.50)
		o.P95 = Quantile(a.cfg.Bounds, &o.Duration, 0.95)
		o.P99 = Quantile(a.cfg.Bounds, &o.Duration, 0.99)
		r := recent[i]
		sort.Slice(r, func(x, y int) bool { return r[x].Seq < r[y].Seq })
		if a.cfg.Recent > 0 && len(r) > a.cfg.Recent {
			r = r[len(r)-a.cfg.Recent:]
		}
		o.Recent = r
	}
	sort.Slice(out, func(x, y int) bool {
		if out[x].Service != out[y].Service {
			return out[x].Service < out[y].Service
		}
		return out[x].Operation < out[y].Operation
	})
	return out
}

// Quantile estimates the q-quantile (0 < q < 1) of h by linear interpolation
// within the bucket that holds it, clamped to the observed min and max. The
// error is at most the width of that bucket.
func Quantile(bounds []float64, h *Histogram, q float64) float64 {
	if h.Count == 0 {
		return 0
	}
	rank := q * float64(h.Count)
	var cum float64
	for i, c := range h.Buckets {
		if c == 0 {
			continue
		}
		if cum+float64(c) < rank {
			cum += float64(c)
			continue
		}
		lo := h.Min
		if i > 0 {
			lo = math.Max(bounds[i-1], h.Min)
		}
		hi := h.Max
		if i < len(bounds) {
			hi = math.Min(bounds[i], h.Max)
		}
		v := lo + (hi-lo)*(rank-cum)/float64(c)
		return math.Min(math.Max(v, h.Min), h.Max)
	}
	return h.Max
}
