package attrpath

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Set resolves a fixed group of paths against one attribute map with a
// single pass over the map, instead of one scan per path: each top-level key
// the paths could start with gets a slot, Load fills the slots, and Get
// resolves a path from them. Build it once; a Record per goroutine does the
// lookups without allocating.
type Set struct {
	slots map[string]int
	paths [][]candidate
	// handles dedupes paths: every reader of one path shares its handle.
	handles map[string]Handle
	// children[slot] holds the rests of the paths that descend from a
	// prefix slot ("input_tokens" under "extra"): a map found there is
	// indexed by a Record of its own, once per Load, however many paths
	// descend into it.
	children map[int]*Set
	// lens has bit n set when some slot key is n bytes long (bit 63: 63 or
	// more): most keys no path can start with fail this one test.
	lens uint64
	// table is an open-addressing index over the slot keys with a cheap hash
	// (length, first and last byte): attribute keys are short and few, and
	// this is several times faster than a map lookup on the hot path.
	table []tableEntry
	mask  uint32
}

type tableEntry struct {
	key  string
	slot int32 // -1: empty
}

// Handle names a path added to a Set.
type Handle int

type candidate struct {
	slot int
	rest Handle // in children[slot]; unused for the flat key
}

// NewSet returns an empty Set.
func NewSet() *Set {
	return &Set{slots: map[string]int{}, handles: map[string]Handle{}, children: map[int]*Set{}}
}

// Add registers path and returns its handle; a path added before keeps its
// handle. Candidates are kept in the order Path.Get tries them: the flat
// key, then longer prefixes first.
func (s *Set) Add(path string) Handle {
	if h, ok := s.handles[path]; ok {
		return h
	}
	segs := strings.Split(path, ".")
	var cands []candidate
	cands = append(cands, candidate{slot: s.slot(path)})
	for k := len(segs) - 1; k >= 1; k-- {
		slot := s.slot(strings.Join(segs[:k], "."))
		child := s.children[slot]
		if child == nil {
			child = NewSet()
			s.children[slot] = child
		}
		cands = append(cands, candidate{slot: slot, rest: child.Add(strings.Join(segs[k:], "."))})
	}
	s.paths = append(s.paths, cands)
	s.handles[path] = Handle(len(s.paths) - 1)
	return Handle(len(s.paths) - 1)
}

// AddAll registers several paths.
func (s *Set) AddAll(paths ...string) []Handle {
	out := make([]Handle, len(paths))
	for i, p := range paths {
		out[i] = s.Add(p)
	}
	return out
}

func (s *Set) slot(key string) int {
	if i, ok := s.slots[key]; ok {
		return i
	}
	s.slots[key] = len(s.slots)
	s.lens |= lenBit(len(key))
	return len(s.slots) - 1
}

// Record holds one map's slot values; reuse it across records.
type Record struct {
	set *Set
	// first[h] points at the slot of path h's flat key: the common lookup
	// is two loads.
	first []*slotValue
	// nestMask[h] has the bits (slot % 64) of the prefix slots of path h's
	// other candidates; 0 for a path without dots.
	nestMask []uint64
	// prefix[i] says slot i is a prefix candidate of some path.
	prefix []bool
	// vals[i] is slot i's value when vals[i].gen == cur, that is when the
	// current Load filled it, so Load need not clear the slots.
	vals []slotValue
	cur  uint32
	// layoutKeys[j] and layoutSlots[j] are the j-th key of the previous
	// map and its slot (-1: none). Records from one source list their keys
	// in the same order, so a key equal to the one at its position last time
	// takes that slot without being hashed and probed. (Like vals, this keeps
	// the previous record's keys reachable until the next Load.)
	layoutKeys  [layoutLen]string
	layoutSlots [layoutLen]int32
	// maps has the bits (slot % 64) of prefix slots that the current Load
	// filled with a map value: nested candidates can only match there, so
	// an absent dotted path (the common case) costs one AND.
	maps uint64
	// filled has the bits (slot % 64) of every slot the current Load filled.
	filled uint64
	// children[slot] indexes the map in prefix slot slot; it holds the
	// current Load's map when childGen[slot] is cur. mapGen[slot] is cur
	// when the current Load found a map in prefix slot slot.
	children []*Record
	childGen []uint32
	mapGen   []uint32
	// link[h] shortcuts the common nested path, one prefix and a rest
	// without dots ("extra.input_tokens"): resolving it through the
	// candidates was a chain of a dozen dependent loads.
	link []nestLink
}

// nestLink is path h's only nested candidate, when its rest is a flat key
// of the child; sv is nil otherwise.
type nestLink struct {
	sv    *slotValue // the rest's slot in the child
	child *Record
	slot  int
}

// layoutLen is how many leading keys of a map the layout cache covers.
const layoutLen = 32

type slotValue struct {
	v   pcommon.Value
	gen uint32
}

func slotBit(slot int) uint64 { return 1 << (uint(slot) & 63) }

func keyHash(k string) uint32 {
	n := uint32(len(k))
	return n*0x9e3779b1 ^ uint32(k[0])*0x85ebca6b ^ uint32(k[len(k)-1])*0xc2b2ae35 ^ uint32(k[len(k)/2])*0x27d4eb2f
}

// build makes the lookup table; it is sized to stay at most 1/4 full.
func (s *Set) build() {
	size := 16
	for size < 4*len(s.slots) {
		size *= 2
	}
	s.table = make([]tableEntry, size)
	for i := range s.table {
		s.table[i].slot = -1
	}
	s.mask = uint32(size - 1)
	for k, slot := range s.slots {
		if k == "" {
			continue
		}
		i := keyHash(k) & s.mask
		for s.table[i].slot >= 0 {
			i = (i + 1) & s.mask
		}
		s.table[i] = tableEntry{key: k, slot: int32(slot)}
	}
}

func lenBit(n int) uint64 { return 1 << min(n, 63) }

func (s *Set) lookup(k string) int {
	if len(k) == 0 || s.lens&lenBit(len(k)) == 0 {
		return -1
	}
	for i := keyHash(k) & s.mask; ; i = (i + 1) & s.mask {
		e := &s.table[i]
		if e.slot < 0 {
			return -1
		}
		if e.key == k {
			return int(e.slot)
		}
	}
}

// NewRecord returns a Record for s; add no paths to s afterwards.
func (s *Set) NewRecord() *Record {
	if s.table == nil || len(s.table) < 4*len(s.slots) {
		s.build()
	}
	r := &Record{
		set:      s,
		vals:     make([]slotValue, len(s.slots)),
		prefix:   make([]bool, len(s.slots)),
		children: make([]*Record, len(s.slots)),
		childGen: make([]uint32, len(s.slots)),
		mapGen:   make([]uint32, len(s.slots)),
	}
	for slot, child := range s.children {
		r.children[slot] = child.NewRecord()
	}
	r.link = make([]nestLink, len(s.paths))
	for h, cands := range s.paths {
		if len(cands) != 2 {
			continue
		}
		c := cands[1]
		child := r.children[c.slot]
		if len(child.set.paths[c.rest]) == 1 { // a flat key in the child
			r.link[h] = nestLink{sv: child.first[c.rest], child: child, slot: c.slot}
		}
	}
	for j := range r.layoutSlots {
		// An unfilled position matches an empty key, which has no slot.
		r.layoutSlots[j] = -1
	}
	for _, cands := range s.paths {
		r.first = append(r.first, &r.vals[cands[0].slot])
		var mask uint64
		for _, c := range cands[1:] {
			mask |= slotBit(c.slot)
			r.prefix[c.slot] = true
		}
		r.nestMask = append(r.nestMask, mask)
	}
	return r
}

// Load indexes m's top-level keys.
func (r *Record) Load(m pcommon.Map) {
	r.cur++
	if r.cur == 0 { // wrapped: old marks could look current
		clear(r.vals)
		clear(r.childGen)
		clear(r.mapGen)
		r.cur = 1
	}
	r.maps, r.filled = 0, 0
	s := r.set
	j := 0
	for k, v := range m.All() {
		var i int
		if j < layoutLen {
			if r.layoutKeys[j] == k {
				i = int(r.layoutSlots[j])
			} else {
				i = s.lookup(k)
				r.layoutKeys[j], r.layoutSlots[j] = k, int32(i)
			}
			j++
		} else {
			i = s.lookup(k)
		}
		if i >= 0 && r.vals[i].gen != r.cur {
			// The first occurrence wins, as with Map.Get.
			r.vals[i] = slotValue{v: v, gen: r.cur}
			r.filled |= slotBit(i)
			if r.prefix[i] && v.Type() == pcommon.ValueTypeMap {
				r.maps |= slotBit(i)
				r.mapGen[i] = r.cur
			}
		}
	}
}

// Mask has the bits (slot % 64) of every slot through which path h can be
// found: its flat key and the prefixes it descends from. Record.Filled()&
// Mask(h) == 0 proves h absent with one AND; a set bit only says "maybe"
// (two slots can share a bit), so Get decides.
func (s *Set) Mask(h Handle) uint64 {
	var m uint64
	for _, c := range s.paths[h] {
		m |= slotBit(c.slot)
	}
	return m
}

// MaskAll is the union of the masks of hs.
func (s *Set) MaskAll(hs ...Handle) uint64 {
	var m uint64
	for _, h := range hs {
		m |= s.Mask(h)
	}
	return m
}

// Filled has the bits (slot % 64) of the slots the last Load filled; see
// Set.Mask.
func (r *Record) Filled() uint64 { return r.filled }

// Get resolves h against the loaded map.
func (r *Record) Get(h Handle) (pcommon.Value, bool) {
	// Fast path: the flat key, which is all a path without dots has.
	if sv := r.first[h]; sv.gen == r.cur {
		return sv.v, true
	}
	if r.maps&r.nestMask[h] == 0 {
		return pcommon.Value{}, false
	}
	return r.getNested(h)
}

// getNested tries h's candidates that descend into map values.
func (r *Record) getNested(h Handle) (pcommon.Value, bool) {
	if l := &r.link[h]; l.sv != nil {
		if r.mapGen[l.slot] != r.cur {
			return pcommon.Value{}, false
		}
		if r.childGen[l.slot] != r.cur {
			l.child.Load(r.vals[l.slot].v.Map())
			r.childGen[l.slot] = r.cur
		}
		if l.sv.gen == l.child.cur {
			return l.sv.v, true
		}
		return pcommon.Value{}, false
	}
	for _, c := range r.set.paths[h][1:] {
		if r.mapGen[c.slot] != r.cur {
			continue
		}
		child := r.children[c.slot]
		if r.childGen[c.slot] != r.cur {
			child.Load(r.vals[c.slot].v.Map())
			r.childGen[c.slot] = r.cur
		}
		if found, ok := child.Get(c.rest); ok {
			return found, true
		}
	}
	return pcommon.Value{}, false
}

// Float resolves h to a number (see Float).
func (r *Record) Float(h Handle) (float64, bool) {
	v, ok := r.Get(h)
	if !ok {
		return 0, false
	}
	return Float(v)
}
