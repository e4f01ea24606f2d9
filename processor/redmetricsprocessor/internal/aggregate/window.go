package aggregate

import (
	"time"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// WindowSlots is how many slots a rolling window is kept in: the window's
// figures cover between WindowSlots-1 and WindowSlots slots, so they are
// exact to within one slot (30 s of a 5-minute window).
const WindowSlots = 10

// MinWindow is the shortest rolling window: one second per slot.
const MinWindow = WindowSlots * time.Second

// window gives a series' figures over the last Config.Window of request
// time as differences of its since-start counters: when the first request
// of a period (request time / slot width) arrives, the counters as they
// stand are kept as that period's snapshot, and the window from period p on
// is the counters now minus the snapshot of the first period at or after p.
// So a request touches the window (memory apart from the series, likely not
// in the cache) once per period and series, not every time. A request older
// than the series' latest period counts in that period; one older than
// every window that can hold it (WindowSlots periods back) is kept out, in
// outside. Snapshots keep the counters' low 32 bits: differences wrap
// correctly while a window holds fewer than 2^32 requests.
type window struct {
	snaps   [WindowSlots]snapshot
	buckets []uint32 // WindowSlots × buckets, one row per snapshot
	// outside counts the requests kept out of the window (nil until one).
	outside *Histogram
	outN    uint64
}

type snapshot struct {
	period   int64
	count    uint32
	durCount uint32
	durSum   float64
}

func newWindow(buckets int) *window {
	return &window{buckets: make([]uint32, WindowSlots*buckets)}
}

// advance prepares s's window for a request of the given period, before
// the request is counted; it reports whether the request is too old for any
// window and must be kept out of it.
func (w *window) advance(s *Series, period int64) (outside bool) {
	switch {
	case period > s.winPeriod:
		w.take(s, period)
		s.winPeriod = period
		return false
	default:
		return period <= s.winPeriod-WindowSlots
	}
}

// take keeps the counters of s, less the requests kept out, as the
// snapshot of period.
func (w *window) take(s *Series, period int64) {
	i := int(period % WindowSlots)
	nb := len(s.Duration.Buckets)
	snap := &w.snaps[i]
	snap.period = period
	snap.count = uint32(s.Count - w.outN)
	snap.durCount, snap.durSum = uint32(s.Duration.Count), s.Duration.Sum
	row := w.buckets[i*nb : (i+1)*nb]
	for b, c := range s.Duration.Buckets {
		row[b] = uint32(c)
	}
	if o := w.outside; o != nil {
		snap.durCount -= uint32(o.Count)
		snap.durSum -= o.Sum
		for b, c := range o.Buckets {
			row[b] -= uint32(c)
		}
	}
}

// keepOut records a request that is too old for the window.
func (w *window) keepOut(bucket int, dur float64, buckets int) {
	if w.outside == nil {
		w.outside = &Histogram{Buckets: make([]uint64, buckets)}
	}
	w.outN++
	if bucket >= 0 {
		w.outside.Count++
		w.outside.Sum += dur
		w.outside.Buckets[bucket]++
	}
}

// mergeInto adds s's requests of the periods from on into o.
func (w *window) mergeInto(o *WindowStats, s *Series, from int64) {
	if s.winPeriod < from {
		return
	}
	base := -1
	for i := range w.snaps {
		if p := w.snaps[i].period; p >= from && (base < 0 || p < w.snaps[base].period) {
			base = i
		}
	}
	if base < 0 { // cannot happen: the latest period always has its snapshot
		return
	}
	snap := &w.snaps[base]
	nb := len(s.Duration.Buckets)
	row := w.buckets[base*nb : (base+1)*nb]
	var out Histogram
	if w.outside != nil {
		out = *w.outside
	}
	n := uint64(uint32(s.Count-w.outN) - snap.count)
	o.Total += n
	o.Classes[s.Class] += n
	o.Duration.Count += uint64(uint32(s.Duration.Count-out.Count) - snap.durCount)
	o.Duration.Sum += s.Duration.Sum - out.Sum - snap.durSum
	for b, c := range s.Duration.Buckets {
		if out.Buckets != nil {
			c -= out.Buckets[b]
		}
		o.Duration.Buckets[b] += uint64(uint32(c) - row[b])
	}
}

// WindowStats are the figures of a rolling window.
type WindowStats struct {
	Total   uint64
	Classes [statusclass.Count + 1]uint64
	// ErrorRate is (4xx + 5xx) / Total.
	ErrorRate float64
	// PerSecond is Total over the time the window covers.
	PerSecond float64
	// Duration is the window's histogram; its Min and Max are bounds (the
	// edges of the outer buckets within the since-start extremes), not
	// observations.
	Duration      Histogram
	P50, P95, P99 float64
}

// WindowSpan is the stretch of request time a rolling window covers.
type WindowSpan struct {
	// StartUnixNano and EndUnixNano bound the window; End is the latest
	// request time seen (request times after the processing time count as
	// that), Start the beginning of the oldest slot, or of the first request
	// when that is later.
	StartUnixNano, EndUnixNano int64
	// fromPeriod is the window's first period.
	fromPeriod int64
}

// Seconds is the window's length, at least one second.
func (s WindowSpan) Seconds() float64 {
	return max(float64(s.EndUnixNano-s.StartUnixNano)/1e9, 1)
}

// Window returns the span the rolling window covers now; ok is false when
// the aggregator keeps no window or has seen no request.
func (a *Aggregator) Window() (WindowSpan, bool) {
	if a.cfg.Window <= 0 || a.latest == 0 {
		return WindowSpan{}, false
	}
	width := int64(a.cfg.Window / WindowSlots)
	to := a.latest / width
	from := to - WindowSlots + 1
	return WindowSpan{
		StartUnixNano: max(from*width, a.earliest),
		EndUnixNano:   a.latest,
		fromPeriod:    from,
	}, true
}

// requestTime is when a request happened, for the rolling window: its own
// time, but never later than the processing time (a clock running ahead
// must not push the window past the present), nor before 1970.
func requestTime(smp *Sample, now int64) int64 {
	at := smp.TimeUnixNano
	if at <= 0 || at > now {
		at = now
	}
	return max(at, 0)
}

// windowPeriod notes smp's request time and returns its period.
func (a *Aggregator) windowPeriod(smp *Sample, now int64) int64 {
	at := requestTime(smp, now)
	a.latest = max(a.latest, at)
	if a.earliest == 0 || at < a.earliest {
		a.earliest = at
	}
	return at / int64(a.cfg.Window/WindowSlots)
}

// finishWindow fills the derived figures of o once its series are merged.
func finishWindow(o *WindowStats, bounds []float64, lo, hi float64, seconds float64) {
	if o.Total > 0 {
		o.ErrorRate = float64(o.Classes[statusclass.ClientError]+o.Classes[statusclass.ServerError]) / float64(o.Total)
	}
	o.PerSecond = float64(o.Total) / seconds
	h := &o.Duration
	if h.Count == 0 {
		return
	}
	first, last := -1, -1
	for i, c := range h.Buckets {
		if c > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	// The outer buckets' edges bound the window's values, as do the
	// since-start extremes [lo, hi].
	h.Min, h.Max = lo, hi
	if first > 0 {
		h.Min = max(lo, bounds[first-1])
	}
	if last < len(bounds) {
		h.Max = min(hi, bounds[last])
	}
	o.P50 = Quantile(bounds, h, 0.50)
	o.P95 = Quantile(bounds, h, 0.95)
	o.P99 = Quantile(bounds, h, 0.99)
}
