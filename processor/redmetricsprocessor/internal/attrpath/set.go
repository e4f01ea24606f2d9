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
	// maxLen filters out keys no path can start with.
	maxLen int
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
	rest Path // empty when the slot's key is the whole path
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{slots: map[string]int{}} }

// Add registers path and returns its handle. Candidates are kept in the
// order Path.Get tries them: the flat key, then longer prefixes first.
func (s *Set) Add(path string) Handle {
	segs := strings.Split(path, ".")
	var cands []candidate
	cands = append(cands, candidate{slot: s.slot(path)})
	for k := len(segs) - 1; k >= 1; k-- {
		cands = append(cands, candidate{slot: s.slot(strings.Join(segs[:k], ".")), rest: Compile(strings.Join(segs[k:], "."))})
	}
	s.paths = append(s.paths, cands)
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
	s.maxLen = max(s.maxLen, len(key))
	return len(s.slots) - 1
}

// Record holds one map's slot values; reuse it across records.
type Record struct {
	set *Set
	// first[h] is the slot of path h's flat key and nested[h] whether it
	// has other candidates: flat copies keep the common lookup to a few
	// loads from one place.
	first  []int32
	nested []bool
	vals   []pcommon.Value
	// gen[i] == cur marks slot i as filled by the current Load, so Load
	// need not clear the slots.
	gen []uint32
	cur uint32
}

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

func (s *Set) lookup(k string) int {
	if len(k) == 0 || len(k) > s.maxLen {
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
	r := &Record{set: s, vals: make([]pcommon.Value, len(s.slots)), gen: make([]uint32, len(s.slots))}
	for _, cands := range s.paths {
		r.first = append(r.first, int32(cands[0].slot))
		r.nested = append(r.nested, len(cands) > 1)
	}
	return r
}

// Load indexes m's top-level keys.
func (r *Record) Load(m pcommon.Map) {
	r.cur++
	if r.cur == 0 { // wrapped: old marks could look current
		clear(r.gen)
		r.cur = 1
	}
	s := r.set
	for k, v := range m.All() {
		if i := s.lookup(k); i >= 0 && r.gen[i] != r.cur {
			// The first occurrence wins, as with Map.Get.
			r.vals[i] = v
			r.gen[i] = r.cur
		}
	}
}

// Get resolves h against the loaded map.
func (r *Record) Get(h Handle) (pcommon.Value, bool) {
	// Fast path: the flat key, which is all a path without dots has.
	if slot := r.first[h]; r.gen[slot] == r.cur {
		return r.vals[slot], true
	}
	if !r.nested[h] {
		return pcommon.Value{}, false
	}
	for _, c := range r.set.paths[h][1:] {
		if r.gen[c.slot] != r.cur {
			continue
		}
		v := r.vals[c.slot]
		if len(c.rest.keys) == 0 {
			return v, true
		}
		if v.Type() != pcommon.ValueTypeMap {
			continue
		}
		if found, ok := c.rest.Get(v.Map()); ok {
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
