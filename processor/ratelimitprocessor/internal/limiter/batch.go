package limiter

import (
	"bytes"
	"hash/maphash"
)

// maxKeptTable bounds the slot hash table a Batch keeps between requests,
// so that one huge request does not make every later Reset clear it.
const maxKeptTable = 1 << 12

// Batch collects the units of one request and the bucket keys they fall
// under, so that a backend can decide them in one pass (one round trip for
// Redis). A Batch is reused: Reset keeps its memory.
//
// Build it with AddUnit followed by AddKey for each bucket that applies to
// that unit, in increasing bucket order (the local backend locks a unit's
// buckets in that order, which is what keeps concurrent batches from
// deadlocking).
type Batch struct {
	slots []slot
	arena []byte
	units []unit
	refs  []int32
	// lastSlot caches, per bucket, the slot of the previous AddKey:
	// consecutive records usually share their service, method and peer.
	lastSlot []int32
	// table is an open-addressing hash of the slots (index+1, 0 = free):
	// finding a key costs one hash and one comparison, and reusing the
	// table across requests costs no allocation.
	table []int32
	seed  maphash.Seed
	// lockOrder is AllOrNothing's scratch list of distinct entries.
	lockOrder []demand

	// Results holds one Result per unit after a PerUnit decision.
	Results []Result
	// All holds the decision of an AllOrNothing batch.
	All Result
}

type slot struct {
	hash     uint64
	bucket   int32
	off, n   int32 // key bytes in arena
	lastUnit int32
	demand   int64 // summed cost of the units referencing this slot
	ent      *entry
}

type unit struct {
	cost        int64
	first, nref int32
}

// Reset empties the batch for a limiter with nBuckets buckets.
func (b *Batch) Reset(nBuckets int) {
	b.slots = b.slots[:0]
	b.arena = b.arena[:0]
	b.units = b.units[:0]
	b.refs = b.refs[:0]
	b.Results = b.Results[:0]
	b.All = Result{}
	if cap(b.lastSlot) < nBuckets {
		b.lastSlot = make([]int32, nBuckets)
	}
	b.lastSlot = b.lastSlot[:nBuckets]
	for i := range b.lastSlot {
		b.lastSlot[i] = -1
	}
	if len(b.table) > maxKeptTable {
		b.table = nil
	}
	clear(b.table)
	if b.seed == (maphash.Seed{}) {
		b.seed = maphash.MakeSeed()
	}
}

// AddUnit starts a unit costing cost tokens in every bucket it falls under
// and returns its index in Results.
func (b *Batch) AddUnit(cost int64) int {
	b.units = append(b.units, unit{cost: cost, first: int32(len(b.refs))})
	return len(b.units) - 1
}

// NumUnits is the number of units added since Reset.
func (b *Batch) NumUnits() int { return len(b.units) }

// NumSlots is the number of distinct (bucket, key) pairs in the batch.
func (b *Batch) NumSlots() int { return len(b.slots) }

// AddKey says that the current unit falls under bucket with key (nil for a
// global bucket). Adding the same key twice to one unit counts it once.
func (b *Batch) AddKey(bucket int, key []byte) {
	s := b.findSlot(bucket, key)
	u := &b.units[len(b.units)-1]
	sl := &b.slots[s]
	if sl.lastUnit == int32(len(b.units)-1) {
		return
	}
	sl.lastUnit = int32(len(b.units) - 1)
	sl.demand += u.cost
	b.refs = append(b.refs, s)
	u.nref++
}

func (b *Batch) slotKey(s *slot) []byte { return b.arena[s.off : s.off+s.n] }

func (b *Batch) findSlot(bucket int, key []byte) int32 {
	if last := b.lastSlot[bucket]; last >= 0 && bytes.Equal(b.slotKey(&b.slots[last]), key) {
		return last
	}
	h := maphash.Bytes(b.seed, key) ^ uint64(bucket)*0x9e3779b97f4a7c15
	if 2*(len(b.slots)+1) > len(b.table) {
		b.grow()
	}
	mask := uint64(len(b.table) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		v := b.table[i]
		if v == 0 {
			found := int32(len(b.slots))
			off := int32(len(b.arena))
			b.arena = append(b.arena, key...)
			b.slots = append(b.slots, slot{hash: h, bucket: int32(bucket), off: off, n: int32(len(key)), lastUnit: -1})
			b.table[i] = found + 1
			b.lastSlot[bucket] = found
			return found
		}
		if s := &b.slots[v-1]; s.hash == h && s.bucket == int32(bucket) && bytes.Equal(b.slotKey(s), key) {
			b.lastSlot[bucket] = v - 1
			return v - 1
		}
	}
}

// grow doubles the hash table (at least 64 entries) and re-inserts the slots.
func (b *Batch) grow() {
	size := max(64, 2*len(b.table))
	for size < 2*(len(b.slots)+1) {
		size *= 2
	}
	b.table = make([]int32, size)
	mask := uint64(size - 1)
	for n := range b.slots {
		i := b.slots[n].hash & mask
		for b.table[i] != 0 {
			i = (i + 1) & mask
		}
		b.table[i] = int32(n) + 1
	}
}

// unitRefs returns the slots of unit u.
func (b *Batch) unitRefs(u *unit) []int32 { return b.refs[u.first : u.first+u.nref] }

// prepareResults sizes Results to one entry per unit.
func (b *Batch) prepareResults() {
	if cap(b.Results) < len(b.units) {
		b.Results = make([]Result, len(b.units))
	}
	b.Results = b.Results[:len(b.units)]
}
