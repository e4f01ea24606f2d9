package aggregate

import (
	"encoding/binary"
	"strconv"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/pathnorm"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// GroupID identifies the resource a series belongs to; the caller assigns it
// (a hash of the resource attributes) and maps it back when emitting.
type GroupID [16]byte

const (
	headerLen = len(GroupID{}) + 1 // group, then status class
	absentLen = ^uint32(0)
)

// KeyBuilder encodes a series identity (group, status class, dimension
// values) into a reusable buffer so that looking a series up does not
// allocate. Each dimension value is length-prefixed, so values may contain
// any byte and an absent value differs from an empty one.
type KeyBuilder struct {
	buf  []byte
	mark int
}

// Reset starts a new key.
func (k *KeyBuilder) Reset(group GroupID, class statusclass.Class) {
	k.buf = append(k.buf[:0], group[:]...)
	k.buf = append(k.buf, byte(class))
}

// Absent records a dimension that has no value.
func (k *KeyBuilder) Absent() {
	k.buf = binary.BigEndian.AppendUint32(k.buf, absentLen)
}

// Begin starts a dimension value; Write* calls append to it and End closes it.
func (k *KeyBuilder) Begin() {
	k.mark = len(k.buf)
	k.buf = append(k.buf, 0, 0, 0, 0)
}

// WriteString appends s to the current value.
func (k *KeyBuilder) WriteString(s string) { k.buf = append(k.buf, s...) }

// WriteByte appends c to the current value.
func (k *KeyBuilder) WriteByte(c byte) error {
	k.buf = append(k.buf, c)
	return nil
}

// WriteInt appends i in decimal.
func (k *KeyBuilder) WriteInt(i int64) { k.buf = strconv.AppendInt(k.buf, i, 10) }

// WriteFloat appends f in the shortest form that round-trips.
func (k *KeyBuilder) WriteFloat(f float64) { k.buf = strconv.AppendFloat(k.buf, f, 'g', -1, 64) }

// WritePath appends a request path normalised to a route template.
func (k *KeyBuilder) WritePath(p string) { k.buf = pathnorm.Append(k.buf, p) }

// End closes the current value.
func (k *KeyBuilder) End() {
	binary.BigEndian.PutUint32(k.buf[k.mark:], uint32(len(k.buf)-k.mark-4))
}

// Value writes a whole present value.
func (k *KeyBuilder) Value(s string) {
	k.Begin()
	k.WriteString(s)
	k.End()
}

// Bytes is the key built so far; valid until the next Reset.
func (k *KeyBuilder) Bytes() []byte { return k.buf }

// Dim is one decoded dimension value.
type Dim struct {
	Value   string
	Present bool
}

// decode splits a key into its parts; called once per new series.
func decode(key string) (GroupID, statusclass.Class, []Dim) {
	var g GroupID
	copy(g[:], key)
	class := statusclass.Class(key[len(g)])
	var dims []Dim
	for rest := key[headerLen:]; len(rest) >= 4; {
		n := binary.BigEndian.Uint32([]byte(rest[:4]))
		rest = rest[4:]
		if n == absentLen {
			dims = append(dims, Dim{})
			continue
		}
		dims = append(dims, Dim{Value: rest[:n], Present: true})
		rest = rest[n:]
	}
	return g, class, dims
}

// DecodeKey splits a key built by a KeyBuilder into its group, class and
// dimension values, as a new series does.
func DecodeKey(key []byte) (GroupID, statusclass.Class, []Dim) {
	return decode(string(key))
}
