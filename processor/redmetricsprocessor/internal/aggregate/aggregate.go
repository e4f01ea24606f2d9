// Package aggregate keeps RED aggregates per series: request counts, a
// duration histogram, min/max/sum, numeric field sums, exemplars, and for the
// in-process view a rolling window of request time (counts and histogram)
// and the most recent samples.
//
// A series is identified by a key built with KeyBuilder (resource group,
// status class, dimension values). The number of live series is bounded by
// MaxSeries: beyond it, requests fold into one overflow series per group and
// class; series not updated for TTL are dropped. An Aggregator is not safe for
// concurrent use: the caller serialises access. Recording into an existing
// series does not allocate.
package aggregate // import "github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"

import (
	"errors"
	"math"
	"time"
	"unsafe"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// Temporality is the aggregation temporality of flushed values.
type Temporality uint8

const (
	Cumulative Temporality = iota
	Delta
)

// DefaultBounds are the default explicit histogram bounds in seconds, 5 ms to 10 s.
var DefaultBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// Config configures an Aggregator.
type Config struct {
	// Bounds are explicit histogram upper bounds in seconds, ascending.
	Bounds []float64
	// ExponentialMaxSize, when positive, also keeps a base-2 exponential
	// histogram with at most this many buckets per series.
	ExponentialMaxSize int
	// MaxSeries bounds the number of live series, overflow series excluded.
	MaxSeries int
	// TTL drops series not updated for this long (0 keeps them).
	TTL time.Duration
	// Temporality says whether Flush resets the values it reports.
	Temporality Temporality
	// SumFields is the number of numeric fields summed per series.
	SumFields int
	// Exemplars is the number of exemplars kept per series between flushes.
	Exemplars int
	// Recent is the number of latest samples kept per series (0: none).
	Recent int
	// Window keeps counts and a histogram per series over this much of the
	// latest request time (0: none; else at least MinWindow).
	Window time.Duration
	// RepeatKeys says that keys mostly repeat the previous one (few series,
	// such as one per model): Record compares the key with the last one
	// before it hashes it into the map.
	RepeatKeys bool
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.MaxSeries <= 0 {
		return errors.New("max series must be positive")
	}
	for i, b := range c.Bounds {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return errors.New("histogram bounds must be finite")
		}
		if i > 0 && b <= c.Bounds[i-1] {
			return errors.New("histogram bounds must be strictly ascending")
		}
	}
	if c.SumFields > 64 {
		return errors.New("at most 64 sum fields")
	}
	if c.Window != 0 && c.Window < MinWindow {
		return errors.New("the rolling window must be 0 or at least 10s")
	}
	if c.Window != 0 && c.Temporality == Delta {
		return errors.New("the rolling window needs cumulative counters")
	}
	return nil
}

// Sample is one request.
type Sample struct {
	// Duration in seconds, when HasDuration.
	Duration    float64
	HasDuration bool
	// Sums holds SumFields values; bit i of SumSet says whether Sums[i] is set.
	Sums   []float64
	SumSet uint64
	// RequestID, StatusText / StatusCode describe the sample for Recent.
	RequestID  string
	StatusText string
	StatusCode int64
	// TraceID and SpanID, when not zero, make an exemplar.
	TraceID [16]byte
	SpanID  [8]byte
	// TimeUnixNano is when the request happened (exemplar timestamp).
	TimeUnixNano int64
}

// Exemplar is a sampled request with trace context.
type Exemplar struct {
	TraceID      [16]byte
	SpanID       [8]byte
	Value        float64
	TimeUnixNano int64
}

// Recent is a retained sample, as in aistack's "recent" list. The small
// fields are last so that the struct has no padding between fields (88
// bytes, not 104): one is written per request into a per-series ring.
type Recent struct {
	RequestID  string
	StatusText string
	StatusCode int64
	Duration   float64
	TraceID    [16]byte
	// UnixNano is the request's own time, or the processing time.
	UnixNano int64
	// Seq orders samples by arrival across series.
	Seq    uint64
	Class  statusclass.Class
	HasDur bool
}

// recentSlot keeps a sample's strings in fixed arrays: the record's strings
// are often substrings of a whole batch (the accesslog receiver shares one
// string per batch), so keeping them would pin every batch a sample came
// from; copying them into a new string would allocate per record. It does
// not embed Recent, whose string headers would be dead weight in every slot
// (144 bytes, not 184): a slot is written per request at a random place in
// memory, and the processor keeps recent_samples of them per series. The
// status bytes come before the request id so that a typical sample (short
// status, 8- to 36-byte id) is written within the first two cache lines.
type recentSlot struct {
	statusCode   int64
	duration     float64
	traceID      [16]byte
	unixNano     int64
	seq          uint64
	class        statusclass.Class
	hasDur       bool
	requestIDLen uint8
	statusLen    uint8
	status       [recentStatusMax]byte
	requestID    [recentIDMax]byte
}

// Longer request ids and status texts are cut in recent samples.
const (
	recentIDMax     = 64
	recentStatusMax = 24
)

func (r *recentSlot) sample() Recent {
	return Recent{
		RequestID:  string(r.requestID[:r.requestIDLen]),
		StatusText: string(r.status[:r.statusLen]),
		StatusCode: r.statusCode, Duration: r.duration, TraceID: r.traceID,
		UnixNano: r.unixNano, Seq: r.seq, Class: r.class, HasDur: r.hasDur,
	}
}

// Histogram is an explicit-bucket duration histogram.
type Histogram struct {
	Count    uint64
	Sum      float64
	Min, Max float64
	// Buckets has len(Bounds)+1 counts; the last is the overflow bucket.
	Buckets []uint64
}

// add counts v and returns its bucket.
func (h *Histogram) add(bounds []float64, v float64) int {
	if h.Count == 0 || v < h.Min {
		h.Min = v
	}
	if h.Count == 0 || v > h.Max {
		h.Max = v
	}
	h.Count++
	h.Sum += v
	b := bucketOf(bounds, v)
	h.Buckets[b]++
	return b
}

// bucketOf is the index of the first bound >= v (len(bounds) when none):
// sort.SearchFloat64s without the closure call, on the hot path.
func bucketOf(bounds []float64, v float64) int {
	lo, hi := 0, len(bounds)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if bounds[mid] < v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (h *Histogram) reset() {
	h.Count, h.Sum, h.Min, h.Max = 0, 0, 0, 0
	clear(h.Buckets)
}

// merge adds o into h (same bounds).
func (h *Histogram) merge(o *Histogram) {
	if o.Count == 0 {
		return
	}
	if h.Count == 0 || o.Min < h.Min {
		h.Min = o.Min
	}
	if h.Count == 0 || o.Max > h.Max {
		h.Max = o.Max
	}
	h.Count += o.Count
	h.Sum += o.Sum
	for i := range o.Buckets {
		h.Buckets[i] += o.Buckets[i]
	}
}

// Series is the aggregate of one dimension set. Fields are read by the
// caller while it holds the Aggregator.
//
// The fields Record touches come first, so that they share as few cache
// lines as possible: with thousands of live series visited in no particular
// order, each line a request touches is a likely cache miss, and those misses
// are most of what recording costs (BenchmarkRecord10000SeriesRandom).
type Series struct {
	// Count is the number of requests in the period.
	Count uint64
	// LastUnixNano is the last update, for TTL.
	LastUnixNano int64
	// winPeriod is the latest period of request time the rolling window
	// has seen (see window).
	winPeriod int64
	Duration  Histogram
	// Sums are the summed numeric fields; SumSeen marks fields ever seen.
	Sums    []float64
	SumSeen uint64

	recent     []recentSlot
	recentNext int

	win *window

	Class    statusclass.Class
	Overflow bool
	updated  bool
	// everHist lets a cumulative histogram keep being reported once it
	// has been, even if the series had no durations since.
	everHist bool

	exemplarNext int
	exemplars    []Exemplar
	// Exp is the exponential histogram, when configured.
	Exp *ExpHistogram

	Key   string
	Group GroupID
	Dims  []Dim
	// StartUnixNano starts the period that Count and the histogram cover.
	StartUnixNano int64
}

// seriesBlock allocates a Series together with its key, histogram buckets
// and sums when they fit (as with the default configuration and most keys),
// so that looking a series up and recording into it touch one object, in
// adjacent cache lines, instead of four scattered ones. The key comes first:
// the map compares it, then Record reads the Series right after it.
type seriesBlock struct {
	key     [inlineKeyLen]byte
	series  Series
	buckets [inlineBuckets]uint64
	sums    [inlineSums]float64
}

const (
	inlineKeyLen  = 72 // group and class (17 bytes) and two dimensions of up to ~25 bytes; 512 bytes in all
	inlineBuckets = 16 // the default bounds need 15
	inlineSums    = 4
)

// Exemplars returns the exemplars gathered since the last flush.
func (s *Series) Exemplars() []Exemplar {
	if s.exemplarNext < len(s.exemplars) {
		return s.exemplars[:s.exemplarNext]
	}
	return s.exemplars
}

// HasHistogram reports whether a histogram point is due for this series.
func (s *Series) HasHistogram() bool { return s.Duration.Count > 0 || s.everHist }

// RecentSamples returns the retained samples, oldest first.
func (s *Series) RecentSamples() []Recent {
	n := min(s.recentNext, len(s.recent))
	out := make([]Recent, 0, n)
	for i := s.recentNext - n; i < s.recentNext; i++ {
		out = append(out, s.recent[i%len(s.recent)].sample())
	}
	return out
}

type overflowKey struct {
	group GroupID
	class statusclass.Class
}

// Result tells the caller what a Record did.
type Result uint8

const (
	// Recorded into an existing series.
	Recorded Result = iota
	// NewSeries was created.
	NewSeries
	// Overflowed: the request went to an overflow series.
	Overflowed
	// FirstOverflow: the first request ever to overflow (log it once).
	FirstOverflow
)

// Aggregator holds the series.
type Aggregator struct {
	cfg      Config
	series   map[string]*Series
	overflow map[overflowKey]*Series
	// totals count every request ever recorded, by class; they survive TTL.
	totals     [statusclass.Count + 1]uint64
	overflowed bool
	startNano  int64
	seq        uint64
	// latest and earliest are the latest and earliest request times seen
	// (see requestTime), for the rolling window.
	latest, earliest int64
	// last is the series of the previous Record, with RepeatKeys.
	last *Series
}

// New creates an Aggregator; now is the start of the first period.
func New(cfg Config, now int64) (*Aggregator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Aggregator{
		cfg:       cfg,
		series:    make(map[string]*Series, min(cfg.MaxSeries, 1024)),
		overflow:  make(map[overflowKey]*Series),
		startNano: now,
	}, nil
}

// Config returns the configuration.
func (a *Aggregator) Config() Config { return a.cfg }

// Len is the number of live series, overflow series excluded.
func (a *Aggregator) Len() int { return len(a.series) }

// Totals returns the requests recorded since start, by class.
func (a *Aggregator) Totals() [statusclass.Count + 1]uint64 { return a.totals }

// StartUnixNano is when the aggregator started.
func (a *Aggregator) StartUnixNano() int64 { return a.startNano }

// Record adds a request to the series identified by key (built by a
// KeyBuilder). now is the processing time in Unix nanoseconds.
func (a *Aggregator) Record(key []byte, s *Sample, now int64) Result {
	res := Recorded
	if ser := a.last; ser != nil && string(key) == ser.Key && !ser.Overflow {
		a.record(ser, s, now)
		return res
	}
	ser, ok := a.series[string(key)]
	if !ok {
		if len(a.series) >= a.cfg.MaxSeries {
			ser, res = a.overflowSeries(key, now)
		} else {
			ser = a.newSeries(key, now)
			a.series[ser.Key] = ser
			res = NewSeries
		}
	}
	if a.cfg.RepeatKeys {
		a.last = ser
	}
	a.record(ser, s, now)
	return res
}

func (a *Aggregator) record(ser *Series, s *Sample, now int64) {
	outside := false
	if ser.win != nil {
		outside = ser.win.advance(ser, a.windowPeriod(s, now))
	}
	a.totals[ser.Class]++
	a.seq++
	bucket := ser.record(&a.cfg, s, now, a.seq)
	if outside {
		ser.win.keepOut(bucket, s.Duration, len(ser.Duration.Buckets))
	}
}

func (a *Aggregator) overflowSeries(key []byte, now int64) (*Series, Result) {
	var ok overflowKey
	copy(ok.group[:], key)
	ok.class = statusclass.Class(key[len(ok.group)])
	res := Overflowed
	if !a.overflowed {
		a.overflowed = true
		res = FirstOverflow
	}
	ser, found := a.overflow[ok]
	if !found {
		ser = a.newSeries(key[:headerLen], now)
		ser.Dims = nil
		ser.Overflow = true
		a.overflow[ok] = ser
	}
	return ser, res
}

func (a *Aggregator) newSeries(key []byte, now int64) *Series {
	blk := new(seriesBlock)
	s := &blk.series
	if len(key) <= len(blk.key) {
		// blk.key is never written again, as unsafe.String requires.
		n := copy(blk.key[:], key)
		s.Key = unsafe.String(&blk.key[0], n)
	} else {
		s.Key = string(key)
	}
	s.Group, s.Class, s.Dims = decode(s.Key)
	s.StartUnixNano = now
	if nb := len(a.cfg.Bounds) + 1; nb <= len(blk.buckets) {
		s.Duration.Buckets = blk.buckets[:nb:nb]
	} else {
		s.Duration.Buckets = make([]uint64, nb)
	}
	if a.cfg.ExponentialMaxSize > 0 {
		s.Exp = NewExpHistogram(a.cfg.ExponentialMaxSize)
	}
	if n := a.cfg.SumFields; n > 0 && n <= len(blk.sums) {
		s.Sums = blk.sums[:n:n]
	} else if n > 0 {
		s.Sums = make([]float64, n)
	}
	if a.cfg.Exemplars > 0 {
		s.exemplars = make([]Exemplar, a.cfg.Exemplars)
	}
	if a.cfg.Recent > 0 {
		s.recent = make([]recentSlot, a.cfg.Recent)
	}
	if a.cfg.Window > 0 {
		s.win = newWindow(len(a.cfg.Bounds) + 1)
	}
	return s
}

// record adds smp and returns its duration's bucket (-1: no duration).
func (s *Series) record(cfg *Config, smp *Sample, now int64, seq uint64) int {
	s.Count++
	s.LastUnixNano = now
	s.updated = true
	bucket := -1
	if smp.HasDuration {
		bucket = s.Duration.add(cfg.Bounds, smp.Duration)
		if s.Exp != nil {
			s.Exp.Add(smp.Duration)
		}
		if len(s.exemplars) > 0 && smp.TraceID != ([16]byte{}) {
			// Keep the first exemplars of the interval: cheap and unbiased
			// enough for linking a bucket to a trace.
			if s.exemplarNext < len(s.exemplars) {
				s.exemplars[s.exemplarNext] = Exemplar{TraceID: smp.TraceID, SpanID: smp.SpanID, Value: smp.Duration, TimeUnixNano: smp.TimeUnixNano}
				s.exemplarNext++
			}
		}
	}
	for set, i := smp.SumSet, 0; set != 0; set, i = set>>1, i+1 {
		if set&1 != 0 && i < len(s.Sums) {
			s.Sums[i] += smp.Sums[i]
			s.SumSeen |= 1 << i
		}
	}
	if s.recent != nil {
		at := smp.TimeUnixNano
		if at == 0 {
			at = now
		}
		slot := &s.recent[s.recentNext%len(s.recent)]
		slot.statusCode, slot.class, slot.duration, slot.hasDur = smp.StatusCode, s.Class, smp.Duration, smp.HasDuration
		slot.traceID, slot.unixNano, slot.seq = smp.TraceID, at, seq
		slot.requestIDLen = uint8(copy(slot.requestID[:], smp.RequestID))
		slot.statusLen = uint8(copy(slot.status[:], smp.StatusText))
		s.recentNext++
	}
	return bucket
}

// FlushStats reports what a Flush did.
type FlushStats struct {
	Expired  int
	Reported int
}

// Expire drops series not updated within TTL and returns how many.
func (a *Aggregator) Expire(now int64) int {
	if a.cfg.TTL <= 0 {
		return 0
	}
	cutoff := now - int64(a.cfg.TTL)
	a.last = nil // it may be dropped
	n := 0
	for k, s := range a.series {
		if s.LastUnixNano < cutoff {
			delete(a.series, k)
			n++
		}
	}
	for k, s := range a.overflow {
		if s.LastUnixNano < cutoff {
			delete(a.overflow, k)
		}
	}
	return n
}

// Flush expires old series, then calls report for every series due in this
// interval (all live series when cumulative, updated ones when delta), then
// starts a new interval: exemplars are cleared and, for delta, values reset.
// now is the end of the interval.
func (a *Aggregator) Flush(now int64, report func(*Series)) FlushStats {
	st := FlushStats{Expired: a.Expire(now)}
	visit := func(s *Series) {
		if a.cfg.Temporality == Delta && !s.updated {
			return
		}
		report(s)
		st.Reported++
		if s.Duration.Count > 0 {
			s.everHist = true
		}
		s.exemplarNext = 0
		s.updated = false
		if a.cfg.Temporality == Delta {
			s.Count = 0
			s.Duration.reset()
			if s.Exp != nil {
				s.Exp.Reset()
			}
			clear(s.Sums)
			s.StartUnixNano = now
			s.everHist = false
		}
	}
	for _, s := range a.series {
		visit(s)
	}
	for _, s := range a.overflow {
		visit(s)
	}
	return st
}

// Each calls f for every live series, overflow series included.
func (a *Aggregator) Each(f func(*Series)) {
	for _, s := range a.series {
		f(s)
	}
	for _, s := range a.overflow {
		f(s)
	}
}
