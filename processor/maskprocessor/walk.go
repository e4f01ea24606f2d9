package maskprocessor // import "github.com/redline-otel/redline/processor/maskprocessor"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/redline-otel/redline/processor/maskprocessor/internal/masker"
)

// walker applies a Masker to pdata values in place. It holds no per-call
// state, so one walker serves concurrent batches.
type walker struct {
	m    *masker.Masker
	scan bool // some free-text rule is on
}

func (w *walker) attrs(m pcommon.Map, st *masker.Stats) {
	for k, v := range m.All() {
		w.value(w.m.Classify(k), v, st)
	}
}

func (w *walker) headerMap(m pcommon.Map, st *masker.Stats) {
	for k, v := range m.All() {
		w.value(w.m.ClassifyHeader(k), v, st)
	}
}

func (w *walker) value(kind masker.KeyKind, v pcommon.Value, st *masker.Stats) {
	switch kind {
	case masker.KeySecret, masker.KeySensitiveHeader:
		w.secret(kind, v, st)
	case masker.KeyIdentifier:
		w.identifier(v, st)
	case masker.KeyHeaderMap:
		switch v.Type() {
		case pcommon.ValueTypeMap:
			w.headerMap(v.Map(), st)
		case pcommon.ValueTypeSlice:
			// A list of header maps, or a list of "Name: value" lines.
			for _, e := range v.Slice().All() {
				w.value(masker.KeyHeaderMap, e, st)
			}
		case pcommon.ValueTypeStr:
			if out, changed := w.m.MaskHeaderLine(v.Str()); changed {
				v.SetStr(out)
				st.Add(masker.RuleHeader)
				return
			}
			w.plain(v, st)
		default:
			w.plain(v, st)
		}
	default:
		w.plain(v, st)
	}
}

// plain walks a value no key rule matched: strings are scanned as free text,
// containers are walked, other scalars are left alone.
func (w *walker) plain(v pcommon.Value, st *masker.Stats) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if w.scan {
			if out, changed := w.m.MaskText(v.Str(), st); changed {
				v.SetStr(out)
			}
		}
	case pcommon.ValueTypeMap:
		w.attrs(v.Map(), st)
	case pcommon.ValueTypeSlice:
		for _, e := range v.Slice().All() {
			w.plain(e, st)
		}
	default:
	}
}

// secret replaces a value of any type, maps and slices included, with "***"
// or its hash, unless it already is one.
func (w *walker) secret(kind masker.KeyKind, v pcommon.Value, st *masker.Stats) {
	if v.Type() == pcommon.ValueTypeStr && w.m.IsMasked(v.Str()) {
		return
	}
	var orig string
	if w.m.NeedsOriginal(kind) {
		orig = v.AsString()
	}
	v.SetStr(w.m.SecretReplacement(kind, orig))
	st.Add(masker.RuleFor(kind))
}

// identifier truncates strings and the string form of numbers and bytes;
// slices are truncated element by element and maps walked by their own keys.
func (w *walker) identifier(v pcommon.Value, st *masker.Stats) {
	var in string
	switch v.Type() {
	case pcommon.ValueTypeStr:
		in = v.Str()
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBytes:
		in = v.AsString()
	case pcommon.ValueTypeSlice:
		for _, e := range v.Slice().All() {
			w.identifier(e, st)
		}
		return
	case pcommon.ValueTypeMap:
		w.attrs(v.Map(), st)
		return
	default:
		return
	}
	if out, changed := w.m.TruncateIdentifier(in); changed {
		v.SetStr(out)
		st.Add(masker.RuleIdentifier)
	}
}
