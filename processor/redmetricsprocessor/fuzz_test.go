package redmetricsprocessor

import (
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/convention"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// FuzzLogRecord feeds untrusted attribute values, under the attribute names
// of any convention, through the processor and checks that every record is
// counted at most once and stamped with a valid class when it is.
func FuzzLogRecord(f *testing.F) {
	for _, seed := range []struct {
		status, path, latency string
		code                  int64
		field                 uint8
	}{
		{"200", "/v1/memories/8812?token=x", "12.5", 0, 0},
		{"503-busy", "", "", 503, 3},
		{"not_found", "/a/123e4567-e89b-12d3-a456-426614174000", "-1", 0, 7},
		{"", "", "1e309", 499, 11},
		{"OK", "//", "NaN", 1 << 40, 200},
		{"DC", "GET /x HTTP/1.1", "0.004, 0.010", 0, 6},
		{"canceled", "https://h:1/a?b", "-", 14, 9},
	} {
		f.Add(seed.status, seed.path, seed.latency, seed.code, seed.field)
	}
	fields := conventionFields()
	p, err := newRedProcessor(goldenConfig(), componenttest.NewNopTelemetrySettings(), component.MustNewID("redmetrics"), newFakeClock().Now)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status, path, latency string, code int64, field uint8) {
		ld := plog.NewLogs()
		lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		a := lrs.AppendEmpty().Attributes()
		a.PutStr("status", status)
		a.PutStr("path", path)
		a.PutStr("latency_ms", latency)
		a.PutStr(fields[int(field)%len(fields)], path)
		a.PutStr(fields[int(field/2)%len(fields)], latency)
		b := lrs.AppendEmpty().Attributes()
		b.PutInt("status_code", code)
		b.PutStr(fields[int(field)%len(fields)], status)
		before := p.engine.agg.Totals()
		st := p.engine.consumeLogs(ld, true)
		after := p.engine.agg.Totals()
		var counted, delta int64
		for _, c := range statusclass.All {
			counted += st.byClass[c]
			delta += int64(after[c] - before[c])
		}
		if counted > 2 || counted != delta {
			t.Fatalf("counted %d, totals moved by %d", counted, delta)
		}
		for _, m := range []int{0, 1} {
			attrs := lrs.At(m).Attributes()
			if v, ok := attrs.Get("status_class"); ok {
				if _, valid := statusclass.Parse(v.Str()); !valid {
					t.Fatalf("stamped invalid class %q", v.Str())
				}
			}
		}
	})
}

// conventionFields are the attribute names any convention reads.
func conventionFields() []string {
	var out []string
	for _, c := range convention.Table {
		for _, s := range c.Status {
			out = append(out, s.Field)
		}
		out = append(out, c.Requires...)
		out = append(out, c.Service...)
		out = append(out, c.Method...)
		out = append(out, c.Route...)
		out = append(out, c.Path...)
		out = append(out, c.RequestLine...)
		for _, d := range c.Durations {
			out = append(out, d.Field)
		}
		if c.DisconnectFlags != "" {
			out = append(out, c.DisconnectFlags)
		}
	}
	return out
}
