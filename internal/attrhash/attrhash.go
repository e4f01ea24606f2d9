// Package attrhash gives an attribute map an identity that does not depend on
// the order its keys were inserted in, and stays the same across processes,
// releases and machines: two resources that carry the same attributes get the
// same 16 bytes. redmetrics uses it to put the records of one resource in one
// group of series.
package attrhash // import "github.com/redline-otel/redline/internal/attrhash"

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Sum is the identity of an attribute map.
type Sum [16]byte

// Type tags written before each value, so that the string "1" and the integer
// 1 differ. Their bytes are part of the pinned output: never renumber them.
const (
	tagEmpty  = 'e'
	tagString = 's'
	tagInt    = 'i'
	tagDouble = 'd'
	tagBool   = 'b'
	tagBytes  = 'y'
	tagSlice  = 'l'
	tagMap    = 'm'
)

// Hasher computes Sums and reuses its buffers between calls; it is not safe
// for concurrent use.
type Hasher struct {
	h    hash.Hash
	buf  []byte
	keys []string
	out  [sha256.Size]byte
}

// NewHasher returns a Hasher ready to use.
func NewHasher() *Hasher { return &Hasher{h: sha256.New()} }

// Of returns the identity of m: SHA-256, cut to 16 bytes, over an encoding in
// which the keys are sorted and every key and value is typed and
// length-prefixed, so that no two different maps share an encoding.
func (hs *Hasher) Of(m pcommon.Map) Sum {
	hs.h.Reset()
	hs.buf = hs.buf[:0]
	hs.writeMap(m)
	hs.h.Write(hs.buf)
	var s Sum
	copy(s[:], hs.h.Sum(hs.out[:0]))
	return s
}

// Of is Hasher.Of for a single call.
func Of(m pcommon.Map) Sum { return NewHasher().Of(m) }

func (hs *Hasher) writeMap(m pcommon.Map) {
	hs.buf = append(hs.buf, tagMap)
	hs.buf = binary.BigEndian.AppendUint32(hs.buf, uint32(m.Len()))
	// Nested maps sort their own keys; keep ours from the end of the shared
	// slice so the recursion does not overwrite them.
	start := len(hs.keys)
	for k := range m.All() {
		hs.keys = append(hs.keys, k)
	}
	keys := hs.keys[start:]
	slices.Sort(keys)
	for i := range keys {
		k := hs.keys[start+i]
		hs.writeString(k)
		v, _ := m.Get(k)
		hs.writeValue(v)
	}
	clear(hs.keys[start:])
	hs.keys = hs.keys[:start]
}

func (hs *Hasher) writeString(s string) {
	hs.buf = binary.BigEndian.AppendUint32(hs.buf, uint32(len(s)))
	hs.buf = append(hs.buf, s...)
}

func (hs *Hasher) writeValue(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		hs.buf = append(hs.buf, tagString)
		hs.writeString(v.Str())
	case pcommon.ValueTypeInt:
		hs.buf = append(hs.buf, tagInt)
		hs.buf = binary.BigEndian.AppendUint64(hs.buf, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		hs.buf = append(hs.buf, tagDouble)
		hs.buf = binary.BigEndian.AppendUint64(hs.buf, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		hs.buf = append(hs.buf, tagBool)
		if v.Bool() {
			hs.buf = append(hs.buf, 1)
		} else {
			hs.buf = append(hs.buf, 0)
		}
	case pcommon.ValueTypeBytes:
		hs.buf = append(hs.buf, tagBytes)
		hs.buf = binary.BigEndian.AppendUint32(hs.buf, uint32(v.Bytes().Len()))
		hs.buf = append(hs.buf, v.Bytes().AsRaw()...)
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		hs.buf = append(hs.buf, tagSlice)
		hs.buf = binary.BigEndian.AppendUint32(hs.buf, uint32(s.Len()))
		for i := 0; i < s.Len(); i++ {
			hs.writeValue(s.At(i))
		}
	case pcommon.ValueTypeMap:
		hs.writeMap(v.Map())
	default:
		hs.buf = append(hs.buf, tagEmpty)
	}
}
