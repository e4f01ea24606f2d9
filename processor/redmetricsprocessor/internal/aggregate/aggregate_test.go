package aggregate

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

var t0 = time.Date(2026, 5, 8, 9, 0, 0, 0, time.UTC).UnixNano()

func newAgg(t testing.TB, mod func(*Config)) *Aggregator {
	cfg := Config{Bounds: DefaultBounds, MaxSeries: 100, TTL: 5 * time.Minute, Exemplars: 2, Recent: 3, Window: 5 * time.Minute, SumFields: 2}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg, t0)
	require.NoError(t, err)
	return a
}

func key(kb *KeyBuilder, class statusclass.Class, svc, op string) []byte {
	kb.Reset(GroupID{1}, class)
	kb.Value(svc)
	if op == "" {
		kb.Absent()
	} else {
		kb.Value(op)
	}
	return kb.Bytes()
}

func TestKeyRoundTrip(t *testing.T) {
	var kb KeyBuilder
	kb.Reset(GroupID{7, 8}, statusclass.Busy)
	kb.Value("svc")
	kb.Absent()
	kb.Begin()
	kb.WriteString("POST ")
	kb.WritePath("/v1/items/42?x=1")
	kb.End()
	kb.Begin()
	kb.WriteInt(-12)
	_ = kb.WriteByte('|')
	kb.WriteFloat(0.5)
	kb.End()
	kb.Value("")
	g, class, dims := decode(string(kb.Bytes()))
	assert.Equal(t, GroupID{7, 8}, g)
	assert.Equal(t, statusclass.Busy, class)
	assert.Equal(t, []Dim{
		{Value: "svc", Present: true}, {}, {Value: "POST /v1/items/{id}", Present: true},
		{Value: "-12|0.5", Present: true}, {Value: "", Present: true},
	}, dims)
}

func TestCountsPerClassAndBucket(t *testing.T) {
	a := newAgg(t, nil)
	var kb KeyBuilder
	// A known mix: durations chosen to land in known buckets.
	mix := []struct {
		class statusclass.Class
		dur   float64
		n     int
	}{
		{statusclass.Success, 0.004, 10},    // bucket 0 (<= 5ms)
		{statusclass.Success, 0.005, 5},     // bucket 0: upper bound inclusive
		{statusclass.Success, 0.2, 7},       // bucket 6 (<= 250ms)
		{statusclass.ClientError, 0.001, 3}, // bucket 0
		{statusclass.ServerError, 12, 2},    // overflow bucket (> 10s)
		{statusclass.Busy, 0.002, 4},        // bucket 0
		{statusclass.Disconnect, 8, 1},      // bucket 13 (<= 10s)
	}
	for _, m := range mix {
		for range m.n {
			a.Record(key(&kb, m.class, "llm", "POST /v1/chat"), &Sample{Duration: m.dur, HasDuration: true}, t0+int64(time.Second))
		}
	}
	got := map[statusclass.Class]*Series{}
	a.Each(func(s *Series) { got[s.Class] = s })
	require.Len(t, got, 5)
	ok := got[statusclass.Success]
	assert.Equal(t, uint64(22), ok.Count)
	assert.Equal(t, uint64(15), ok.Duration.Buckets[0])
	assert.Equal(t, uint64(7), ok.Duration.Buckets[6])
	assert.InDelta(t, 0.004, ok.Duration.Min, 1e-12)
	assert.InDelta(t, 0.2, ok.Duration.Max, 1e-12)
	assert.InDelta(t, 10*0.004+5*0.005+7*0.2, ok.Duration.Sum, 1e-9)
	assert.Equal(t, uint64(2), got[statusclass.ServerError].Duration.Buckets[len(DefaultBounds)])
	assert.Equal(t, uint64(1), got[statusclass.Disconnect].Duration.Buckets[13])
	totals := a.Totals()
	assert.Equal(t, [6]uint64{0, 22, 3, 2, 4, 1}, totals)

	stats := a.Summarize(func(s *Series) (string, string) { return s.Dims[0].Value, s.Dims[1].Value })
	require.Len(t, stats, 1)
	st := stats[0]
	assert.Equal(t, uint64(32), st.Total)
	assert.InDelta(t, 5.0/32, st.ErrorRate, 1e-12, "(4xx+5xx)/total: busy and disconnects excluded")
	assert.Equal(t, uint64(32), st.Window.Total, "every request is in the window")
	assert.InDelta(t, 32.0, st.Window.PerSecond, 1e-9, "all at one instant: the window covers its minimum, one second")
	assert.InDelta(t, st.ErrorRate, st.Window.ErrorRate, 1e-12)
	assert.Equal(t, st.Duration.Buckets, st.Window.Duration.Buckets)
	assert.InDelta(t, st.P50, st.Window.P50, 1e-12, "the same requests give the same quantiles")
	assert.InDelta(t, st.P99, st.Window.P99, 1e-12)
	assert.InDelta(t, 0.001, st.Duration.Min, 1e-12)
	assert.InDelta(t, 12, st.Duration.Max, 1e-12)
	assert.LessOrEqual(t, st.P50, 0.005)
	assert.Greater(t, st.P99, 10.0)
	assert.Len(t, st.Recent, 3, "the latest Recent samples across the pair's series")
}

func TestCumulativeAndDelta(t *testing.T) {
	for _, tc := range []struct {
		name   string
		temp   Temporality
		counts []uint64 // reported count after each flush
		starts []int64
	}{
		{"cumulative", Cumulative, []uint64{2, 5, 5}, []int64{t0 + 1, t0 + 1, t0 + 1}},
		{"delta", Delta, []uint64{2, 3}, []int64{t0 + 1, t0 + 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAgg(t, func(c *Config) { c.Temporality, c.Window = tc.temp, 0 })
			var kb KeyBuilder
			var counts []uint64
			var starts []int64
			report := func(s *Series) { counts = append(counts, s.Count); starts = append(starts, s.StartUnixNano) }
			for range 2 {
				a.Record(key(&kb, statusclass.Success, "a", "b"), &Sample{Duration: 0.1, HasDuration: true}, t0+1)
			}
			a.Flush(t0+100, report)
			for range 3 {
				a.Record(key(&kb, statusclass.Success, "a", "b"), &Sample{}, t0+150)
			}
			a.Flush(t0+200, report)
			a.Flush(t0+300, report) // nothing new: delta reports nothing
			assert.Equal(t, tc.counts, counts)
			assert.Equal(t, tc.starts, starts)
		})
	}
}

func TestOverflow(t *testing.T) {
	a := newAgg(t, func(c *Config) { c.MaxSeries = 3 })
	var kb KeyBuilder
	var results []Result
	for i := range 6 {
		results = append(results, a.Record(key(&kb, statusclass.Success, "svc", fmt.Sprint("op", i)), &Sample{}, t0))
	}
	results = append(results, a.Record(key(&kb, statusclass.ServerError, "svc", "op9"), &Sample{}, t0))
	results = append(results, a.Record(key(&kb, statusclass.Success, "svc", "op0"), &Sample{}, t0))
	assert.Equal(t, []Result{NewSeries, NewSeries, NewSeries, FirstOverflow, Overflowed, Overflowed, Overflowed, Recorded}, results)
	assert.Equal(t, 3, a.Len())
	var overflow []*Series
	a.Each(func(s *Series) {
		if s.Overflow {
			overflow = append(overflow, s)
		}
	})
	require.Len(t, overflow, 2, "one overflow series per class")
	var sum uint64
	for _, s := range overflow {
		assert.Empty(t, s.Dims)
		sum += s.Count
	}
	assert.Equal(t, uint64(4), sum)
}

func TestTTL(t *testing.T) {
	a := newAgg(t, func(c *Config) { c.TTL = time.Minute })
	var kb KeyBuilder
	a.Record(key(&kb, statusclass.Success, "old", ""), &Sample{}, t0)
	a.Record(key(&kb, statusclass.Success, "new", ""), &Sample{}, t0+int64(50*time.Second))
	var seen []string
	st := a.Flush(t0+int64(90*time.Second), func(s *Series) { seen = append(seen, s.Dims[0].Value) })
	assert.Equal(t, 1, st.Expired)
	assert.Equal(t, []string{"new"}, seen)
	// The expired series comes back with a new start time: a counter reset.
	a.Record(key(&kb, statusclass.Success, "old", ""), &Sample{}, t0+int64(95*time.Second))
	a.Each(func(s *Series) {
		if s.Dims[0].Value == "old" {
			assert.Equal(t, uint64(1), s.Count)
			assert.Equal(t, t0+int64(95*time.Second), s.StartUnixNano)
		}
	})
	assert.Equal(t, uint64(3), a.Totals()[statusclass.Success], "totals survive expiry")
}

func TestExemplarsRecentSums(t *testing.T) {
	a := newAgg(t, nil)
	var kb KeyBuilder
	k := key(&kb, statusclass.Success, "s", "o")
	sums := []float64{0, 0}
	for i := range 5 {
		sums[0], sums[1] = float64(i), 0.5
		a.Record(k, &Sample{
			Duration: float64(i), HasDuration: true, TraceID: [16]byte{byte(i + 1)}, SpanID: [8]byte{1},
			RequestID: fmt.Sprint("r", i), StatusCode: 200, Sums: sums, SumSet: 0b01,
		}, t0+int64(i))
	}
	var s *Series
	a.Each(func(x *Series) { s = x })
	require.Len(t, s.Exemplars(), 2)
	assert.Equal(t, [16]byte{1}, s.Exemplars()[0].TraceID)
	rec := s.RecentSamples()
	require.Len(t, rec, 3)
	assert.Equal(t, []string{"r2", "r3", "r4"}, []string{rec[0].RequestID, rec[1].RequestID, rec[2].RequestID})
	assert.InDelta(t, 10.0, s.Sums[0], 1e-12)
	assert.Zero(t, s.Sums[1], "field 1 never set")
	assert.Equal(t, uint64(1), s.SumSeen)
	a.Flush(t0+10, func(*Series) {})
	assert.Empty(t, s.Exemplars(), "exemplars are per flush interval")
}

// The rolling window follows request time: it ends at the latest request
// seen, however long ago the records were processed, and slides as later
// requests arrive.
func TestRollingWindow(t *testing.T) {
	a := newAgg(t, func(c *Config) { c.Window = 100 * time.Second }) // 10 s slots
	var kb KeyBuilder
	ok := bytes.Clone(key(&kb, statusclass.Success, "s", "o"))
	bad := bytes.Clone(key(&kb, statusclass.ServerError, "s", "o"))
	at := func(sec int64) *Sample {
		return &Sample{TimeUnixNano: t0 + sec*int64(time.Second), Duration: 0.02, HasDuration: true}
	}
	processed := t0 + int64(time.Hour) // a file read long after it was written
	for sec := range int64(200) {
		a.Record(ok, at(sec), processed)
		if sec%4 == 0 {
			a.Record(bad, at(sec), processed)
		}
	}
	summary := func() WindowStats {
		st := a.Summarize(func(*Series) (string, string) { return "s", "o" })
		require.Len(t, st, 1)
		return st[0].Window
	}
	span, hasWindow := a.Window()
	require.True(t, hasWindow)
	assert.Equal(t, t0+199*int64(time.Second), span.EndUnixNano, "ends at the latest request")
	assert.Equal(t, t0+100*int64(time.Second), span.StartUnixNano, "the oldest slot starts at 100 s")
	w := summary()
	assert.Equal(t, uint64(100+25), w.Total, "seconds 100 to 199")
	assert.Equal(t, uint64(25), w.Classes[statusclass.ServerError])
	assert.InDelta(t, 25.0/125, w.ErrorRate, 1e-12)
	assert.InDelta(t, 125.0/99, w.PerSecond, 1e-9)
	assert.Equal(t, uint64(125), w.Duration.Count)
	assert.InDelta(t, 0.02, w.P50, 0.005, "within the 10-25 ms bucket")

	// A later request slides the window; an old one is outside it.
	a.Record(ok, at(255), processed)
	a.Record(ok, at(10), processed)
	w = summary()
	assert.Equal(t, uint64(40+10+1), w.Total, "seconds 160 to 199 (a slot of 10 s left the window) and 255")
	// A request dated in the future counts at the processing time.
	a.Record(ok, &Sample{TimeUnixNano: processed + int64(time.Hour)}, processed)
	span, _ = a.Window()
	assert.Equal(t, processed, span.EndUnixNano)
	assert.Equal(t, uint64(1), summary().Total)
}

// A series without durations in the window has no window quantiles, and
// one whose requests are all in the overflow bucket is clamped to what was
// seen since start.
func TestRollingWindowBounds(t *testing.T) {
	a := newAgg(t, nil)
	var kb KeyBuilder
	a.Record(key(&kb, statusclass.Success, "s", "o"), &Sample{TimeUnixNano: t0}, t0)
	st := a.Summarize(func(*Series) (string, string) { return "s", "o" })
	assert.Equal(t, uint64(1), st[0].Window.Total)
	assert.Zero(t, st[0].Window.Duration.Count)
	assert.Zero(t, st[0].Window.P99)

	a.Record(key(&kb, statusclass.Success, "s", "o"), &Sample{TimeUnixNano: t0, Duration: 30, HasDuration: true}, t0)
	st = a.Summarize(func(*Series) (string, string) { return "s", "o" })
	assert.InDelta(t, 30, st[0].Window.P99, 1e-9, "the overflow bucket is bounded by the maximum seen")
	assert.InDelta(t, 30, st[0].Window.Duration.Min, 1e-9)
}

// In time order, the window's figures are exactly those of the requests in
// its periods, whatever the spacing of the requests.
func TestRollingWindowMatchesDirectCount(t *testing.T) {
	a := newAgg(t, func(c *Config) { c.Window = 100 * time.Second })
	var kb KeyBuilder
	k := bytes.Clone(key(&kb, statusclass.Success, "s", "o"))
	type rec struct {
		sec int64
		dur float64
	}
	var sent []rec
	rng := uint64(7)
	sec := int64(0)
	for i := range 3000 {
		rng = rng*6364136223846793005 + 1442695040888963407
		sec += int64(rng>>60) * int64(rng>>62) // gaps of 0 to 45 s, mostly short
		dur := float64(rng>>40%12000) / 1000
		smp := &Sample{TimeUnixNano: t0 + sec*int64(time.Second), Duration: dur, HasDuration: i%7 != 0}
		a.Record(k, smp, t0+int64(24*time.Hour))
		if smp.HasDuration {
			sent = append(sent, rec{sec, dur})
		} else {
			sent = append(sent, rec{sec, -1})
		}
		if i%250 != 249 {
			continue
		}
		span, ok := a.Window()
		require.True(t, ok)
		from := span.fromPeriod * 10 // seconds: the slots are 10 s
		var n, durN uint64
		var sum float64
		for _, r := range sent {
			if t0/int64(time.Second)+r.sec >= from {
				n++
				if r.dur >= 0 {
					durN++
					sum += r.dur
				}
			}
		}
		w := a.Summarize(func(*Series) (string, string) { return "s", "o" })[0].Window
		assert.Equal(t, n, w.Total, "after %d requests", i+1)
		assert.Equal(t, durN, w.Duration.Count)
		assert.InDelta(t, sum, w.Duration.Sum, 1e-6)
	}
}

func TestWindowValidation(t *testing.T) {
	_, err := New(Config{MaxSeries: 1, Window: 5 * time.Second}, t0)
	require.Error(t, err)
	_, err = New(Config{MaxSeries: 1, Window: MinWindow}, t0)
	require.NoError(t, err)
	_, err = New(Config{MaxSeries: 1, Window: MinWindow, Temporality: Delta}, t0)
	require.Error(t, err)
}

func TestQuantile(t *testing.T) {
	bounds := []float64{1, 2, 4}
	for _, tc := range []struct {
		name string
		h    Histogram
		q    float64
		want float64
	}{
		{"empty", Histogram{Buckets: make([]uint64, 4)}, 0.5, 0},
		{"single value", Histogram{Count: 1, Min: 1.5, Max: 1.5, Sum: 1.5, Buckets: []uint64{0, 1, 0, 0}}, 0.99, 1.5},
		{"uniform in a bucket", Histogram{Count: 10, Min: 1, Max: 2, Buckets: []uint64{0, 10, 0, 0}}, 0.5, 1.5},
		{"across buckets", Histogram{Count: 4, Min: 0.5, Max: 10, Buckets: []uint64{2, 0, 0, 2}}, 0.99, 9.88},
		{"low quantile", Histogram{Count: 4, Min: 0.5, Max: 10, Buckets: []uint64{2, 0, 0, 2}}, 0.25, 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.want, Quantile(bounds, &tc.h, tc.q), 1e-9)
		})
	}
}

func TestExpHistogram(t *testing.T) {
	h := NewExpHistogram(8)
	vals := []float64{0, 0.001, 0.01, 0.1, 1, 10, 100, 2, 4}
	for _, v := range vals {
		h.Add(v)
	}
	h.Add(math.NaN())
	assert.Equal(t, uint64(len(vals)), h.Count)
	assert.Equal(t, uint64(1), h.ZeroCount)
	assert.LessOrEqual(t, len(h.Counts), 8)
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	assert.Equal(t, uint64(len(vals)-1), n)
	// Each positive value lies in (lower(i), lower(i+1)].
	for _, v := range vals[1:] {
		i := bucketIndex(v, h.Scale)
		assert.Greater(t, v, LowerBound(i, h.Scale)*(1-1e-9), v)
		assert.LessOrEqual(t, v, LowerBound(i+1, h.Scale)*(1+1e-9), v)
		assert.NotZero(t, h.Counts[i-h.Offset], v)
	}
	h.Reset()
	assert.Zero(t, h.Count)
	assert.Equal(t, int32(MaxScale), h.Scale)
	// Exact powers of two sit at the top of their bucket.
	assert.Equal(t, int32(-1), bucketIndex(1, 0))
	assert.Equal(t, int32(0), bucketIndex(2, 0))
	assert.Equal(t, int32(0), bucketIndex(1.5, 0))
	assert.Equal(t, int32(-1), bucketIndex(1, 3))
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{MaxSeries: 0},
		{MaxSeries: 1, Bounds: []float64{1, 1}},
		{MaxSeries: 1, Bounds: []float64{math.Inf(1)}},
		{MaxSeries: 1, SumFields: 65},
	} {
		_, err := New(c, 0)
		assert.Error(t, err)
	}
}

// TestSeriesBeyondInlineSizes: keys, bucket counts and sum fields too large
// for a series' own block are allocated apart and work the same.
func TestSeriesBeyondInlineSizes(t *testing.T) {
	bounds := make([]float64, inlineBuckets+3)
	for i := range bounds {
		bounds[i] = float64(i + 1)
	}
	a := newAgg(t, func(c *Config) { c.Bounds, c.SumFields = bounds, inlineSums+2 })
	var kb KeyBuilder
	long := strings.Repeat("operation/", 10)
	for _, op := range []string{"short", long} {
		smp := &Sample{Duration: 2.5, HasDuration: true, Sums: make([]float64, inlineSums+2), SumSet: 1 << (inlineSums + 1)}
		smp.Sums[inlineSums+1] = 7
		k := key(&kb, statusclass.Success, "svc", op)
		a.Record(k, smp, t0)
		a.Record(k, smp, t0)
	}
	got := map[string]*Series{}
	a.Each(func(s *Series) { got[s.Dims[1].Value] = s })
	require.Len(t, got, 2)
	for _, op := range []string{"short", long} {
		s := got[op]
		require.NotNil(t, s, op)
		assert.Len(t, s.Duration.Buckets, len(bounds)+1)
		assert.Equal(t, uint64(2), s.Duration.Buckets[2], "2.5 falls in (2, 3]")
		assert.Len(t, s.Sums, inlineSums+2)
		assert.InDelta(t, 14.0, s.Sums[inlineSums+1], 1e-12)
		assert.Equal(t, "svc", s.Dims[0].Value)
		assert.Equal(t, uint64(2), s.Count)
	}
	assert.Greater(t, len(got[long].Key), inlineKeyLen)
}

func TestRecordDoesNotAllocate(t *testing.T) {
	a := newAgg(t, func(c *Config) { c.ExponentialMaxSize = 160 })
	var kb KeyBuilder
	smp := &Sample{Duration: 0.1, HasDuration: true, TraceID: [16]byte{1}, RequestID: "r"}
	a.Record(key(&kb, statusclass.Success, "s", "o"), smp, t0)
	allocs := testing.AllocsPerRun(1000, func() {
		a.Record(key(&kb, statusclass.Success, "s", "o"), smp, t0)
	})
	assert.Zero(t, allocs)
}

func BenchmarkRecord1000Series(b *testing.B) {
	a := newAgg(b, func(c *Config) { c.MaxSeries = 10000 })
	var kb KeyBuilder
	ops := make([]string, 1000)
	for i := range ops {
		ops[i] = fmt.Sprint("op", i)
		a.Record(key(&kb, statusclass.Success, "svc", ops[i]), &Sample{}, t0)
	}
	smp := &Sample{Duration: 0.1, HasDuration: true}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		a.Record(key(&kb, statusclass.Success, "svc", ops[i%1000]), smp, t0)
		i++
	}
}

func BenchmarkFlush10000Series(b *testing.B) {
	a := newAgg(b, func(c *Config) { c.MaxSeries = 10000 })
	var kb KeyBuilder
	for i := range 10000 {
		a.Record(key(&kb, statusclass.Success, "svc", fmt.Sprint("op", i)), &Sample{Duration: 0.1, HasDuration: true}, t0)
	}
	b.ReportAllocs()
	var n uint64
	for b.Loop() {
		a.Flush(t0+1, func(s *Series) { n += s.Count })
	}
}

// TestRecentSamplesCopyStrings: recent samples keep their own bytes, cut to a
// bound, so they never pin the batch a record's strings came from.
func TestRecentSamplesCopyStrings(t *testing.T) {
	a := newAgg(t, nil)
	var kb KeyBuilder
	k := key(&kb, statusclass.Success, "s", "o")
	batch := []byte(strings.Repeat("x", 300) + "NOT_FOUND")
	id := string(batch[:300])
	status := string(batch[300:])
	allocs := testing.AllocsPerRun(100, func() {
		a.Record(k, &Sample{RequestID: id, StatusText: status}, t0)
	})
	assert.Zero(t, allocs)
	var s *Series
	a.Each(func(x *Series) { s = x })
	rec := s.RecentSamples()
	require.NotEmpty(t, rec)
	assert.Equal(t, strings.Repeat("x", recentIDMax), rec[0].RequestID, "cut to the bound")
	assert.Equal(t, "NOT_FOUND", rec[0].StatusText)
}

// BenchmarkRecord10000SeriesRandom records into 10,000 live series in a
// random order, as the default pipeline does with real traffic (scenario D of
// bench/ spreads its lines over 15,000 service/operation/class keys): the
// series no longer fit in the CPU caches, so this measures memory stalls,
// which BenchmarkRecord1000Series (cache-resident) does not. "processor" and
// "connector" are the two faces' configurations.
func BenchmarkRecord10000SeriesRandom(b *testing.B) {
	for _, face := range []struct {
		name string
		mod  func(*Config)
	}{
		{"processor", func(c *Config) { c.Exemplars, c.Recent, c.Window = 0, 20, 5*time.Minute }},
		{"connector", func(c *Config) { c.Exemplars, c.Recent, c.Window = 5, 0, 0 }},
	} {
		b.Run(face.name, func(b *testing.B) {
			const n = 10000
			a := newAgg(b, func(c *Config) {
				c.MaxSeries, c.SumFields = n, 3
				face.mod(c)
			})
			keys := make([][]byte, n)
			var kb KeyBuilder
			for i := range keys {
				keys[i] = bytes.Clone(key(&kb, statusclass.Class(1+i%int(statusclass.Count)), fmt.Sprint("service-", i%20), fmt.Sprint("POST /v1/operation-", i/20)))
				a.Record(keys[i], &Sample{}, t0)
			}
			order := make([]int, 1<<16)
			rng := uint64(1)
			for i := range order {
				rng = rng*6364136223846793005 + 1442695040888963407
				order[i] = int(rng>>33) % n
			}
			smp := &Sample{Duration: 0.1, HasDuration: true, Sums: []float64{1, 2, 3}, SumSet: 0b101, RequestID: "8d1549a3efedce04", StatusText: "OK", TraceID: [16]byte{1}}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				a.Record(keys[order[i&(len(order)-1)]], smp, t0)
				i++
			}
		})
	}
}

// With RepeatKeys a repeated key skips the map, and the result is the same
// as without: across new series, overflow and expiry.
func TestRepeatKeys(t *testing.T) {
	for _, repeat := range []bool{false, true} {
		a := newAgg(t, func(c *Config) { c.RepeatKeys, c.MaxSeries, c.TTL = repeat, 2, time.Minute })
		var kb KeyBuilder
		keys := [][]byte{
			bytes.Clone(key(&kb, statusclass.Success, "s", "a")),
			bytes.Clone(key(&kb, statusclass.Success, "s", "b")),
			bytes.Clone(key(&kb, statusclass.Success, "s", "c")), // overflows
		}
		for _, i := range []int{0, 0, 1, 1, 2, 2, 0, 2} {
			a.Record(keys[i], &Sample{}, t0)
		}
		counts := map[string]uint64{}
		a.Each(func(s *Series) { counts[fmt.Sprint(s.Overflow, len(s.Dims))] += s.Count })
		assert.Equal(t, map[string]uint64{"false 2": 5, "true 0": 3}, counts, "repeat %v", repeat)
		a.Expire(t0 + int64(2*time.Minute))
		a.Record(keys[0], &Sample{}, t0+int64(2*time.Minute))
		assert.Equal(t, 1, a.Len(), "repeat %v", repeat)
	}
}
