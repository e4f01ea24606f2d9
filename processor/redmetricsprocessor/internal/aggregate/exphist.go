package aggregate

import "math"

// MaxScale is the finest scale an exponential histogram starts at.
const MaxScale = 20

// ExpHistogram is a base-2 exponential histogram of positive values, as in
// the OTLP ExponentialHistogram: bucket i covers (base^i, base^(i+1)] with
// base = 2^(2^-scale). The scale starts at MaxScale and drops as needed to
// keep the range within MaxSize buckets. Values <= 0 go to ZeroCount.
type ExpHistogram struct {
	MaxSize   int
	Scale     int32
	Count     uint64
	ZeroCount uint64
	Sum       float64
	Min, Max  float64
	// Offset is the index of Counts[0].
	Offset int32
	Counts []uint64
}

// NewExpHistogram creates an empty histogram with room for maxSize buckets.
func NewExpHistogram(maxSize int) *ExpHistogram {
	return &ExpHistogram{MaxSize: maxSize, Scale: MaxScale, Counts: make([]uint64, 0, maxSize)}
}

// Reset empties the histogram and returns it to MaxScale.
func (h *ExpHistogram) Reset() {
	h.Scale = MaxScale
	h.Count, h.ZeroCount, h.Sum, h.Min, h.Max, h.Offset = 0, 0, 0, 0, 0, 0
	h.Counts = h.Counts[:0]
}

// Add records v.
func (h *ExpHistogram) Add(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	if h.Count == 0 || v < h.Min {
		h.Min = v
	}
	if h.Count == 0 || v > h.Max {
		h.Max = v
	}
	h.Count++
	h.Sum += v
	if v <= 0 {
		h.ZeroCount++
		return
	}
	bin := bucketIndex(v, h.Scale)
	if len(h.Counts) == 0 {
		h.Offset = bin
		h.Counts = append(h.Counts, 1)
		return
	}
	low, high := min(h.Offset, bin), max(h.Offset+int32(len(h.Counts))-1, bin)
	if change := scaleChange(h.MaxSize, low, high); change > 0 {
		h.downscale(change)
		bin = bucketIndex(v, h.Scale)
	}
	h.increment(bin)
}

func (h *ExpHistogram) increment(bin int32) {
	end := h.Offset + int32(len(h.Counts)) - 1
	switch {
	case bin < h.Offset:
		grow := int(h.Offset - bin)
		n := len(h.Counts)
		h.Counts = h.Counts[:n+grow]
		copy(h.Counts[grow:], h.Counts[:n])
		clear(h.Counts[:grow])
		h.Offset = bin
	case bin > end:
		grow := int(bin - end)
		n := len(h.Counts)
		h.Counts = h.Counts[:n+grow]
		clear(h.Counts[n:])
	}
	h.Counts[bin-h.Offset]++
}

// downscale merges buckets pairwise change times.
func (h *ExpHistogram) downscale(change int32) {
	newOffset := h.Offset >> change
	last := int32(-1)
	for i, c := range h.Counts {
		j := ((h.Offset + int32(i)) >> change) - newOffset
		if j != last {
			if j != int32(i) {
				h.Counts[j] = 0
			}
			last = j
		}
		if j != int32(i) {
			h.Counts[j] += c
		}
	}
	h.Counts = h.Counts[:last+1]
	h.Offset = newOffset
	h.Scale -= change
}

func scaleChange(maxSize int, low, high int32) int32 {
	var change int32
	for int(high-low) >= maxSize {
		low >>= 1
		high >>= 1
		change++
	}
	return change
}

// bucketIndex maps v > 0 to its bucket at scale, upper bounds inclusive.
func bucketIndex(v float64, scale int32) int32 {
	frac, exp := math.Frexp(v)
	if scale <= 0 {
		correction := int32(1)
		if frac == 0.5 { // exact power of two: belongs to the bucket below
			correction = 2
		}
		return (int32(exp) - correction) >> -scale
	}
	return int32(exp)<<scale + int32(math.Log(frac)*math.Ldexp(math.Log2E, int(scale))) - 1
}

// LowerBound is the lower boundary of bucket index at scale.
func LowerBound(index, scale int32) float64 {
	return math.Exp2(math.Ldexp(float64(index), -int(scale)))
}
