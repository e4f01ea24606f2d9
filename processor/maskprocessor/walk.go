package maskprocessor // import "github.com/redline-otel/redline/processor/maskprocessor"

import (
	"encoding/json"
	"strings"

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
		kind, pii := w.m.ClassifyPII(k)
		w.value(kind, pii, v, st)
	}
}

func (w *walker) headerMap(m pcommon.Map, st *masker.Stats) {
	for k, v := range m.All() {
		kind, pii := w.m.ClassifyHeaderPII(k)
		w.value(kind, pii, v, st)
	}
}

// value treats v as the value of a key of kind; pii is the personal data
// the key's name reveals, recorded if v is masked.
func (w *walker) value(kind masker.KeyKind, pii masker.KeyPII, v pcommon.Value, st *masker.Stats) {
	switch kind {
	case masker.KeySecret, masker.KeySensitiveHeader:
		w.secret(kind, pii, v, st)
	case masker.KeyIdentifier:
		w.identifier(v, st)
	case masker.KeyHeaderMap:
		switch v.Type() {
		case pcommon.ValueTypeMap:
			w.headerMap(v.Map(), st)
		case pcommon.ValueTypeSlice:
			w.headerList(v.Slice(), st)
		case pcommon.ValueTypeStr:
			w.headerString(v, st)
		default:
			w.plain(v, st)
		}
	default:
		w.plain(v, st)
	}
}

// headerList walks a header map given as a list: of maps, of "Name: value"
// lines, of [name, value] pairs, or flat as Node's rawHeaders (name, value,
// name, value...). A string that is a sensitive header name masks the element
// after it, whatever its type.
func (w *walker) headerList(s pcommon.Slice, st *masker.Stats) {
	for i := 0; i < s.Len(); i++ {
		e := s.At(i)
		if i+1 < s.Len() && e.Type() == pcommon.ValueTypeStr && w.m.IsHeaderName(strings.TrimSpace(e.Str())) {
			w.secret(masker.KeySensitiveHeader, 0, s.At(i+1), st)
			i++
			continue
		}
		w.value(masker.KeyHeaderMap, 0, e, st)
	}
}

// headerString handles a string where a header map is expected: a JSON
// object or list of headers encoded in the string is decoded, masked as a
// header map and re-encoded compactly (only when something changed, so a
// second pass leaves it byte for byte); otherwise each "Name: value" line
// with a sensitive name is masked and the rest scanned as free text.
func (w *walker) headerString(v pcommon.Value, st *masker.Stats) {
	s := v.Str()
	if out, ok := w.headerJSON(s, st); ok {
		if out != s {
			v.SetStr(out)
		}
		return
	}
	out, n := w.m.MaskHeaderLine(s)
	for range n {
		st.Add(masker.RuleHeader)
	}
	if n > 0 {
		v.SetStr(out)
	}
	w.plain(v, st)
}

// headerJSON decodes s when it is a JSON object or array, walks it as a
// header map and returns it re-encoded if something was masked. ok is false
// when s is not JSON.
func (w *walker) headerJSON(s string, st *masker.Stats) (string, bool) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || !(t[0] == '{' && t[len(t)-1] == '}' || t[0] == '[' && t[len(t)-1] == ']') {
		return s, false
	}
	var raw any
	if json.Unmarshal([]byte(t), &raw) != nil {
		return s, false
	}
	decoded := pcommon.NewValueEmpty()
	if decoded.FromRaw(raw) != nil {
		return s, false
	}
	before := st.Total
	w.value(masker.KeyHeaderMap, 0, decoded, st)
	if st.Total == before {
		return s, true
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(decoded.AsRaw()) != nil {
		// Unreachable for decoded JSON; never keep the unmasked original.
		return masker.Redacted, true
	}
	return strings.TrimSuffix(b.String(), "\n"), true
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
func (w *walker) secret(kind masker.KeyKind, pii masker.KeyPII, v pcommon.Value, st *masker.Stats) {
	if v.Type() == pcommon.ValueTypeStr && w.m.IsMasked(v.Str()) {
		return
	}
	var orig string
	if w.m.NeedsOriginal(kind) {
		orig = v.AsString()
	}
	v.SetStr(w.m.SecretReplacement(kind, orig))
	st.Add(masker.RuleFor(kind))
	st.AddKeyPII(pii)
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
