// Package testutil builds test input the way redline's receivers build it.
// LogsFromJSONL turns JSON access-log lines into log records as the
// accesslog receiver does (its parser is internal to it, so it cannot be
// called from here); a test in this package runs the receiver itself on the
// fixtures and checks that the two agree.
package testutil // import "github.com/redline-otel/redline/processor/redmetricsprocessor/internal/testutil"

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// LogsFromJSONL reads a file of JSON lines into one ResourceLogs with
// service.name set and, as the receiver's include_file_name does,
// log.file.name on every record. Per line, as the receiver:
//   - "ts", "timestamp" or "time" becomes the record's time when it parses
//     (an ISO 8601 string, or epoch seconds, ms, µs or ns told apart by
//     magnitude); the first of them claims it, later ones stay attributes;
//   - "level", "severity" or "lvl" becomes the severity;
//   - "msg" or "message" becomes the body; a string holding a JSON object
//     has its fields lifted into attributes and its "event" made the body;
//   - "logger" names the record's scope; "trace_id" and "span_id" in hex
//     become the record's trace context;
//   - everything else is an attribute under its own key, in line order:
//     objects as maps, arrays as slices, whole numbers as ints (too large
//     ones as their digits), other numbers as doubles, null as empty.
func LogsFromJSONL(path, serviceName string) (plog.Logs, error) {
	f, err := os.Open(path)
	if err != nil {
		return plog.Logs{}, err
	}
	defer f.Close()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", serviceName)
	scopes := map[string]plog.LogRecordSlice{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		fields, err := decodeObject(line)
		if err != nil {
			return plog.Logs{}, fmt.Errorf("%s: %w", path, err)
		}
		lr := plog.NewLogRecord()
		scope := fillRecord(fields, lr)
		lr.Attributes().PutStr("log.file.name", filepath.Base(path))
		records, ok := scopes[scope]
		if !ok {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(scope)
			records = sl.LogRecords()
			scopes[scope] = records
		}
		lr.MoveTo(records.AppendEmpty())
	}
	return ld, sc.Err()
}

// field is one key and value of a JSON object, in line order.
type field struct {
	key   string
	value any // string, json.Number, bool, nil, []field (object), []any (array)
}

func fillRecord(fields []field, lr plog.LogRecord) (scope string) {
	attrs := lr.Attributes()
	// The first key of a group claims the record field even when its value
	// turns out unusable (it is then kept as an attribute), as in the receiver.
	claimed := map[string]string{}
	claim := func(what, key string) bool {
		if k, ok := claimed[what]; ok && k != key {
			return false
		}
		claimed[what] = key
		return true
	}
	for _, f := range fields {
		if recordField(f, lr, claim, &scope) {
			continue
		}
		setValue(attrs.PutEmpty(f.key), f.value)
	}
	return scope
}

// recordField sets the record field that f names, if any, and reports
// whether f was used up.
func recordField(f field, lr plog.LogRecord, claim func(what, key string) bool, scope *string) bool {
	s, isStr := f.value.(string)
	switch f.key {
	case "ts", "timestamp", "time":
		if claim("time", f.key) {
			if ts, ok := timestampOf(f.value); ok {
				lr.SetTimestamp(pcommon.Timestamp(ts))
				return true
			}
		}
	case "level", "severity", "lvl":
		return claim("severity", f.key) && setSeverity(f.value, lr)
	case "msg", "message":
		if claim("body", f.key) {
			setBody(f.value, lr)
			return true
		}
	case "logger":
		if isStr && claim("scope", f.key) {
			*scope = s
			return true
		}
	case "trace_id":
		var id pcommon.TraceID
		if isStr && claim("trace", f.key) && decodeID(s, id[:]) {
			lr.SetTraceID(id)
			return true
		}
	case "span_id":
		var id pcommon.SpanID
		if isStr && claim("span", f.key) && decodeID(s, id[:]) {
			lr.SetSpanID(id)
			return true
		}
	}
	return false
}

func setBody(v any, lr plog.LogRecord) {
	s, ok := v.(string)
	if !ok {
		setValue(lr.Body(), v)
		return
	}
	lr.Body().SetStr(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return
	}
	inner, err := decodeObject([]byte(s))
	if err != nil {
		return
	}
	for _, f := range inner {
		if ev, ok := f.value.(string); ok && f.key == "event" {
			lr.Body().SetStr(ev)
			continue
		}
		setValue(lr.Attributes().PutEmpty(f.key), f.value)
	}
}

func setSeverity(v any, lr plog.LogRecord) bool {
	switch x := v.(type) {
	case string:
		lr.SetSeverityText(x)
		lr.SetSeverityNumber(severities[strings.ToLower(x)])
		return true
	case json.Number:
		if text, ok := numericLevels[x.String()]; ok {
			lr.SetSeverityText(text)
			lr.SetSeverityNumber(severities[text])
			return true
		}
	}
	return false
}

var severities = map[string]plog.SeverityNumber{
	"trace": plog.SeverityNumberTrace, "trc": plog.SeverityNumberTrace,
	"debug": plog.SeverityNumberDebug, "dbg": plog.SeverityNumberDebug, "verbose": plog.SeverityNumberDebug,
	"info": plog.SeverityNumberInfo, "inf": plog.SeverityNumberInfo, "information": plog.SeverityNumberInfo, "informational": plog.SeverityNumberInfo,
	"notice": plog.SeverityNumberInfo2,
	"warn":   plog.SeverityNumberWarn, "warning": plog.SeverityNumberWarn, "wrn": plog.SeverityNumberWarn,
	"error": plog.SeverityNumberError, "err": plog.SeverityNumberError, "erro": plog.SeverityNumberError,
	"critical": plog.SeverityNumberFatal, "crit": plog.SeverityNumberFatal, "fatal": plog.SeverityNumberFatal, "ftl": plog.SeverityNumberFatal,
	"alert": plog.SeverityNumberFatal2, "emerg": plog.SeverityNumberFatal3, "emergency": plog.SeverityNumberFatal3, "panic": plog.SeverityNumberFatal3,
}

var numericLevels = map[string]string{"10": "trace", "20": "debug", "30": "info", "40": "warn", "50": "error", "60": "fatal"}

func timestampOf(v any) (uint64, bool) {
	switch x := v.(type) {
	case string:
		if t, ok := parseISO(x); ok {
			return uint64(t.UnixNano()), true
		}
		return epoch(x)
	case json.Number:
		return epoch(x.String())
	}
	return 0, false
}

// parseISO reads YYYY-MM-DD[Tt ]hh:mm[:ss][.,fraction][Z|±hh[[:]mm]], or a
// bare date; no zone means UTC.
func parseISO(s string) (time.Time, bool) {
	if len(s) > 10 && (s[10] == ' ' || s[10] == 't') {
		s = s[:10] + "T" + s[11:]
	}
	s = strings.Replace(s, ",", ".", 1)
	for _, layout := range []string{
		"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999Z07",
		"2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// epoch scales a number of seconds, ms, µs or ns, told apart by magnitude.
func epoch(s string) (uint64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, false
	}
	intPart, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseUint(intPart, 10, 64)
	if err != nil {
		return uint64(f), true
	}
	unit := uint64(1)
	switch {
	case n < 1e11:
		unit = 1e9
	case n < 1e14:
		unit = 1e6
	case n < 1e17:
		unit = 1e3
	}
	ns := n * unit
	for scale := unit / 10; frac != "" && scale > 0; scale /= 10 {
		ns += uint64(frac[0]-'0') * scale
		frac = frac[1:]
	}
	return ns, true
}

func decodeID(s string, dst []byte) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return false
	}
	for _, b := range dst {
		if b != 0 {
			return true
		}
	}
	return false
}

func setValue(dst pcommon.Value, v any) {
	switch x := v.(type) {
	case nil:
	case string:
		dst.SetStr(x)
	case bool:
		dst.SetBool(x)
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				dst.SetInt(i)
			} else {
				dst.SetStr(s)
			}
			return
		}
		if f, err := x.Float64(); err == nil {
			dst.SetDouble(f)
		} else {
			dst.SetStr(s)
		}
	case []field:
		m := dst.SetEmptyMap()
		for _, f := range x {
			setValue(m.PutEmpty(f.key), f.value)
		}
	case []any:
		s := dst.SetEmptySlice()
		for _, e := range x {
			setValue(s.AppendEmpty(), e)
		}
	}
}

// decodeObject decodes a JSON object keeping its keys in order (the
// receiver writes attributes in line order); a repeated key keeps its first
// position and its last value, as pcommon.Map.PutX does.
func decodeObject(b []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	obj, ok := v.([]field)
	if !ok {
		return nil, fmt.Errorf("not a JSON object: %.40s", b)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the object: %.40s", b)
	}
	return obj, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			var arr []any
			for dec.More() {
				e, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, e)
			}
			_, err := dec.Token()
			return arr, err
		}
		var obj []field
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			val, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			obj = putField(obj, kt.(string), val)
		}
		_, err := dec.Token()
		return obj, err
	default:
		return t, nil
	}
}

func putField(obj []field, key string, val any) []field {
	for i := range obj {
		if obj[i].key == key {
			obj[i].value = val
			return obj
		}
	}
	return append(obj, field{key, val})
}
