package payloadcapture // import "github.com/redline-otel/redline/exporter/payloadcapture"

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"
	"github.com/redline-otel/redline/internal/keymatch"
)

// recordMapper turns a log record into a capture.
type recordMapper struct {
	attrs    AttributesConfig
	base64   bool
	scrubber capture.Scrubber
	// reqPrefix and respPrefix are the header keys plus ".", the
	// semantic-convention shape of one header per attribute.
	reqPrefix, respPrefix string
}

func newRecordMapper(cfg *Config) *recordMapper {
	m := &recordMapper{
		attrs:    cfg.Attributes,
		base64:   cfg.BodyEncoding == BodyEncodingBase64,
		scrubber: capture.NewScrubber(cfg.ScrubHeaders...),
	}
	if cfg.Attributes.RequestHeaders != "" {
		m.reqPrefix = cfg.Attributes.RequestHeaders + "."
	}
	if cfg.Attributes.ResponseHeaders != "" {
		m.respPrefix = cfg.Attributes.ResponseHeaders + "."
	}
	return m
}

// toCapture returns the capture a record carries, or false when it has no
// body attribute. now stands in for a record without any timestamp.
func (m *recordMapper) toCapture(res pcommon.Resource, lr plog.LogRecord, now time.Time) (*capture.Capture, bool) {
	attrs := lr.Attributes()
	reqVal, hasReq := getAttr(attrs, m.attrs.RequestBody)
	respVal, hasResp := getAttr(attrs, m.attrs.ResponseBody)
	if !hasReq && !hasResp {
		return nil, false
	}
	c := &capture.Capture{}
	meta := &c.Meta
	if hasReq {
		c.Request = m.bodyBytes(reqVal, "request", meta)
	}
	if hasResp {
		c.Response = m.bodyBytes(respVal, "response", meta)
	}

	switch {
	case lr.Timestamp() != 0:
		meta.Time = lr.Timestamp().AsTime().UTC()
	case lr.ObservedTimestamp() != 0:
		meta.Time = lr.ObservedTimestamp().AsTime().UTC()
	default:
		meta.Time = now.UTC()
	}

	meta.RequestHeaders = m.headers(attrs, m.attrs.RequestHeaders, m.reqPrefix)
	meta.ResponseHeaders = m.headers(attrs, m.attrs.ResponseHeaders, m.respPrefix)

	rawID, present := m.requestID(attrs)
	meta.SetRequestID(capture.ResolveRequestID(rawID, present))

	if v, ok := firstAttr(res.Attributes(), m.attrs.Service); ok {
		meta.Service = v.AsString()
	} else if v, ok := firstAttr(attrs, m.attrs.Service); ok {
		meta.Service = v.AsString()
	}
	if v, ok := firstAttr(attrs, m.attrs.Method); ok {
		meta.Method = v.AsString()
	}
	if v, ok := firstAttr(attrs, m.attrs.Path); ok {
		meta.Path = v.AsString()
	}
	if v, ok := firstAttr(attrs, m.attrs.Category); ok {
		meta.Category = v.AsString()
	}
	if v, ok := firstAttr(attrs, m.attrs.Status); ok {
		meta.Status = statusValue(v)
	}
	if v, ok := firstAttr(attrs, m.attrs.DurationMS); ok {
		if f, ok := number(v); ok {
			meta.DurationMS = &f
		}
	} else if v, ok := firstAttr(attrs, m.attrs.DurationS); ok {
		if f, ok := number(v); ok {
			ms := f * 1000
			meta.DurationMS = &ms
		}
	}
	if tid := lr.TraceID(); !tid.IsEmpty() {
		meta.TraceID = tid.String()
	}
	if sid := lr.SpanID(); !sid.IsEmpty() {
		meta.SpanID = sid.String()
	}

	meta.Attributes = m.otherAttributes(attrs)
	return c, true
}

// bodyBytes converts a body attribute. Bytes are taken as they are; strings
// as UTF-8, or decoded from base64 when configured; anything else (a map, a
// number) as its JSON-like string form, noted in meta.json.
func (m *recordMapper) bodyBytes(v pcommon.Value, which string, meta *capture.Meta) []byte {
	switch v.Type() {
	case pcommon.ValueTypeBytes:
		return v.Bytes().AsRaw()
	case pcommon.ValueTypeStr:
		s := v.Str()
		if !m.base64 {
			return []byte(s)
		}
		if b, err := decodeBase64(s); err == nil {
			return b
		}
		meta.Notes = append(meta.Notes, which+" body is not valid base64; written as text")
		return []byte(s)
	default:
		meta.Notes = append(meta.Notes, which+" body attribute is a "+strings.ToLower(v.Type().String())+"; written as its string form")
		return []byte(v.AsString())
	}
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "=") {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// headers collects a header map attribute and <prefix><name> attributes,
// then scrubs them.
func (m *recordMapper) headers(attrs pcommon.Map, key, prefix string) map[string][]string {
	if key == "" {
		return nil
	}
	var out map[string][]string
	add := func(name string, v pcommon.Value) {
		if out == nil {
			out = make(map[string][]string)
		}
		out[name] = append(out[name], headerValues(v)...)
	}
	if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeMap {
		for name, hv := range v.Map().All() {
			add(name, hv)
		}
	}
	for k, v := range attrs.All() {
		if len(k) > len(prefix) && strings.HasPrefix(k, prefix) {
			add(k[len(prefix):], v)
		}
	}
	m.scrubber.ScrubHeaders(out)
	return out
}

func headerValues(v pcommon.Value) []string {
	if v.Type() == pcommon.ValueTypeSlice {
		s := v.Slice()
		vals := make([]string, 0, s.Len())
		for i := 0; i < s.Len(); i++ {
			vals = append(vals, s.At(i).AsString())
		}
		return vals
	}
	return []string{v.AsString()}
}

// requestID finds the first configured request id attribute. A key under
// the request header prefix is also looked up in the header map, in any
// case, so http.request.header.x-request-id finds {"X-Request-ID": ...}.
func (m *recordMapper) requestID(attrs pcommon.Map) (string, bool) {
	for _, key := range m.attrs.RequestID {
		if v, ok := attrs.Get(key); ok {
			return idString(v), true
		}
		if m.reqPrefix == "" || !strings.HasPrefix(key, m.reqPrefix) {
			continue
		}
		hm, ok := attrs.Get(m.attrs.RequestHeaders)
		if !ok || hm.Type() != pcommon.ValueTypeMap {
			continue
		}
		name := key[len(m.reqPrefix):]
		for hk, hv := range hm.Map().All() {
			if keymatch.Equal(hk, name) {
				return idString(hv), true
			}
		}
	}
	return "", false
}

func idString(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeSlice {
		if v.Slice().Len() == 0 {
			return ""
		}
		return v.Slice().At(0).AsString()
	}
	return v.AsString()
}

// otherAttributes are the record's attributes minus bodies and headers,
// with scrubbed names redacted and values JSON can encode.
func (m *recordMapper) otherAttributes(attrs pcommon.Map) map[string]any {
	var out map[string]any
	for k, v := range attrs.All() {
		if k == m.attrs.RequestBody || k == m.attrs.ResponseBody ||
			k == m.attrs.RequestHeaders || k == m.attrs.ResponseHeaders ||
			(m.reqPrefix != "" && strings.HasPrefix(k, m.reqPrefix)) ||
			(m.respPrefix != "" && strings.HasPrefix(k, m.respPrefix)) {
			continue
		}
		if out == nil {
			out = make(map[string]any, attrs.Len())
		}
		if m.scrubber.Sensitive(k) {
			out[k] = capture.Redacted
			continue
		}
		out[k] = jsonSafe(v.AsRaw())
	}
	return out
}

// jsonSafe replaces the float values encoding/json rejects (NaN, ±Inf).
func jsonSafe(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = jsonSafe(e)
		}
	case []any:
		for i, e := range x {
			x[i] = jsonSafe(e)
		}
	}
	return v
}

// statusValue keeps numeric statuses numeric and RPC names as strings.
func statusValue(v pcommon.Value) any {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int()
	case pcommon.ValueTypeDouble:
		if f := v.Double(); f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return int64(f)
		}
		return jsonSafe(v.Double())
	default:
		s := v.AsString()
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		return s
	}
}

func number(v pcommon.Value) (float64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	case pcommon.ValueTypeDouble:
		f := v.Double()
		return f, !math.IsNaN(f) && !math.IsInf(f, 0)
	case pcommon.ValueTypeStr:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.Str()), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	default:
		return 0, false
	}
}

func getAttr(attrs pcommon.Map, key string) (pcommon.Value, bool) {
	if key == "" {
		return pcommon.Value{}, false
	}
	return attrs.Get(key)
}

func firstAttr(attrs pcommon.Map, keys []string) (pcommon.Value, bool) {
	for _, k := range keys {
		if v, ok := attrs.Get(k); ok {
			return v, true
		}
	}
	return pcommon.Value{}, false
}
