// Package attrpath looks up attributes by dotted path. Attribute keys often
// contain dots themselves ("http.response.status_code"), and receivers map
// nested JSON objects to map attributes ("extra" holding "input_tokens"), so
// "extra.input_tokens" is looked up as the flat key first and then by
// descending into map values at each dot, longest key first.
package attrpath // import "github.com/redline-otel/redline/processor/redmetricsprocessor/internal/attrpath"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Path is a compiled dotted path. The zero value finds nothing.
type Path struct {
	full string
	// keys[i][k] is segments i..i+k joined with dots: every key a lookup
	// starting at segment i may need, built once so lookups do not allocate.
	keys [][]string
}

// Compile prepares p for lookups.
func Compile(p string) Path {
	segs := strings.Split(p, ".")
	keys := make([][]string, len(segs))
	for i := range segs {
		keys[i] = make([]string, len(segs)-i)
		for k := range keys[i] {
			keys[i][k] = strings.Join(segs[i:i+k+1], ".")
		}
	}
	return Path{full: p, keys: keys}
}

// String is the path as written.
func (p Path) String() string { return p.full }

// Get returns the value at the path.
func (p Path) Get(m pcommon.Map) (pcommon.Value, bool) {
	if len(p.keys) == 0 {
		return pcommon.Value{}, false
	}
	if v, ok := m.Get(p.full); ok {
		return v, true
	}
	if len(p.keys) == 1 {
		return pcommon.Value{}, false
	}
	return p.get(m, 0, true)
}

func (p Path) get(m pcommon.Map, i int, skipFull bool) (pcommon.Value, bool) {
	keys := p.keys[i]
	for k := len(keys) - 1; k >= 0; k-- {
		if k == len(keys)-1 {
			if skipFull {
				continue
			}
			if v, ok := m.Get(keys[k]); ok {
				return v, true
			}
			continue
		}
		v, ok := m.Get(keys[k])
		if !ok || v.Type() != pcommon.ValueTypeMap {
			continue
		}
		if found, ok := p.get(v.Map(), i+k+1, false); ok {
			return found, true
		}
	}
	return pcommon.Value{}, false
}

// Float returns a numeric value at the path: an int, a double, or a string
// holding a number.
func (p Path) Float(m pcommon.Map) (float64, bool) {
	v, ok := p.Get(m)
	if !ok {
		return 0, false
	}
	return Float(v)
}

// Float converts a numeric value; strings are parsed.
func Float(v pcommon.Value) (float64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	case pcommon.ValueTypeDouble:
		return v.Double(), true
	case pcommon.ValueTypeStr:
		return parseFloat(v.Str())
	default:
		return 0, false
	}
}
