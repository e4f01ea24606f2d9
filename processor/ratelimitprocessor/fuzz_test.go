package ratelimitprocessor

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

// FuzzProcessLogs runs arbitrary OTLP log requests (attributes, severities
// and layouts are chosen by senders) through a processor with every key
// granularity, and checks that each record is counted exactly once as
// admitted or denied and that the output only ever shrinks.
func FuzzProcessLogs(f *testing.F) {
	for _, rs := range [][]rec{
		repeat(3, rec{service: "a", method: "Get"}),
		{{service: "a"}, {service: "b", severity: plog.SeverityNumberError}, {attrs: map[string]string{"client.address": "10.0.0.1"}}},
		{},
	} {
		buf, err := (&plog.ProtoMarshaler{}).MarshalLogs(makeLogs(rs))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(buf)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(data)
		if err != nil {
			return
		}
		cfg := testConfig(func(c *Config) {
			c.Exempt = ExemptConfig{SeverityAtLeast: "ERROR"}
			c.Unit = UnitBytes
		}, benchLimits(1, 500)...)
		r, err := newRateLimiter(cfg, newNopSettings())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = r.close(context.Background()) }()
		p := &rlProcessor{r: r, exempt: newExemption(cfg.Exempt), bytes: true}
		in := ld.LogRecordCount()
		out, err := p.processLogs(withPeer(context.Background(), "10.9.8.7"), ld)
		kept := out.LogRecordCount()
		if err != nil {
			kept = 0
		}
		denied := int64(0)
		for i := range r.stats.denied {
			denied += r.stats.denied[i].Load()
		}
		if got := r.stats.admitted.Load() + denied; got != int64(in) {
			t.Fatalf("%d records in, %d admitted + %d denied", in, r.stats.admitted.Load(), denied)
		}
		if int64(kept) != r.stats.admitted.Load() {
			t.Fatalf("%d records kept, %d admitted", kept, r.stats.admitted.Load())
		}
	})
}
