package ratelimitprocessor // import "github.com/redline-otel/redline/processor/ratelimitprocessor"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// exemption decides whether a record bypasses the limits.
type exemption struct {
	minSeverity plog.SeverityNumber // 0: no severity condition
	attrs       []AttributeMatch
}

func newExemption(c ExemptConfig) exemption {
	e := exemption{attrs: c.Attributes}
	if c.SeverityAtLeast != "" {
		e.minSeverity, _ = severityByName(c.SeverityAtLeast)
	}
	return e
}

func (e *exemption) empty() bool { return e.minSeverity == 0 && len(e.attrs) == 0 }

func (e *exemption) log(lr plog.LogRecord, scope, resource pcommon.Map) bool {
	if e.minSeverity != 0 {
		sev := lr.SeverityNumber()
		if sev == plog.SeverityNumberUnspecified {
			sev = severityFromText(lr.SeverityText())
		}
		if sev >= e.minSeverity {
			return true
		}
	}
	return e.matchAttrs(lr.Attributes(), scope, resource)
}

func (e *exemption) span(sp ptrace.Span, scope, resource pcommon.Map) bool {
	// A span with status Error counts as severity ERROR.
	if e.minSeverity != 0 && e.minSeverity <= plog.SeverityNumberError && sp.Status().Code() == ptrace.StatusCodeError {
		return true
	}
	return e.matchAttrs(sp.Attributes(), scope, resource)
}

func (e *exemption) matchAttrs(record, scope, resource pcommon.Map) bool {
	for i := range e.attrs {
		m := &e.attrs[i]
		for _, attrs := range [3]pcommon.Map{record, scope, resource} {
			if v, ok := attrs.Get(m.Key); ok {
				if valueEquals(v, m.Value) {
					return true
				}
				break // the nearest level decides, as for keys
			}
		}
	}
	return false
}

func valueEquals(v pcommon.Value, want string) bool {
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str() == want
	}
	return v.AsString() == want
}

// severityFromText reads a severity from its text, for log records whose
// SeverityNumber is unset.
func severityFromText(text string) plog.SeverityNumber {
	if text == "" {
		return plog.SeverityNumberUnspecified
	}
	for _, c := range []struct {
		prefix string
		sev    plog.SeverityNumber
	}{
		{"FATAL", plog.SeverityNumberFatal}, {"CRIT", plog.SeverityNumberFatal}, {"EMERG", plog.SeverityNumberFatal},
		{"ALERT", plog.SeverityNumberFatal}, {"PANIC", plog.SeverityNumberFatal},
		{"ERR", plog.SeverityNumberError},
		{"WARN", plog.SeverityNumberWarn},
		{"INFO", plog.SeverityNumberInfo}, {"NOTICE", plog.SeverityNumberInfo},
		{"DEBUG", plog.SeverityNumberDebug},
		{"TRACE", plog.SeverityNumberTrace},
	} {
		if len(text) >= len(c.prefix) && strings.EqualFold(text[:len(c.prefix)], c.prefix) {
			return c.sev
		}
	}
	return plog.SeverityNumberUnspecified
}
