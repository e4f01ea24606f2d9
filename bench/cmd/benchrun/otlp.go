package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/redline-otel/redline/bench/internal/procstat"
	"github.com/redline-otel/redline/bench/internal/report"
	"github.com/redline-otel/redline/bench/internal/telemetry"
	"github.com/redline-otel/redline/bench/loggen"
)

// The OTLP scenario sends with pdata's OTLP/gRPC clients rather than an SDK
// exporter: every request's outcome is known (an SDK's batch processor drops
// silently when its queue is full), so "nothing lost or refused" is checked
// item by item. telemetrygen v0.158.0 does not verify against the checksum
// database here, and other versions would pull a different collector.
const requestsPerSecond = 10

// otlpSignal sends one signal at a fixed rate and counts the outcomes.
type otlpSignal struct {
	name    string
	send    func(ctx context.Context, seq, n int) (rejected int64, err error)
	sent    int64
	refused int64
	errs    map[string]int
}

// runOTLP sends the OTLP load into one redline binary running the default
// configuration config, and reports what became of it.
func runOTLP(ctx context.Context, o options, collector, bin, config string) report.OTLP {
	pipeline := relToRoot(o, config)
	if config == filepath.Join(o.root, "config", "collector.yaml") {
		pipeline += " as shipped"
	}
	res := report.OTLP{
		Duration:       o.otlpDuration,
		RatePerSignal:  o.otlpRate,
		Sent:           map[string]int64{},
		ClientRefused:  map[string]int64{},
		Accepted:       map[string]float64{},
		Refused:        map[string]float64{},
		Delivered:      map[string]float64{},
		PipelineConfig: pipeline + " with REDLINE_EXPORTER=nop and the rate limit " + rateLimitSetting(config),
	}
	dir := filepath.Join(o.work, "runs", "OTLP-"+collector)
	empty := filepath.Join(dir, "no-access-logs", "none.jsonl")
	env, err := newRunEnv(dir, empty)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	s := redlineDefault(config, empty, filepath.Join(o.benchDir, "scenarios", "telemetry.yaml"))
	if err := validate(ctx, bin, s, env); err != nil {
		res.Unavailable = err.Error()
		log.Printf("OTLP scenario (%s) not run: %v", collector, err)
		return res
	}
	log.Printf("OTLP scenario: %d spans/s and %d logs/s for %s into %s's default pipeline", o.otlpRate, o.otlpRate, o.otlpDuration, collector)
	c, err := startCollector(ctx, bin, s, env)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer c.stop()
	if err := sendOTLPLoad(ctx, o, c, env.port("REDLINE_OTLP_GRPC_PORT"), &res); err != nil {
		res.Err = err.Error()
		return res
	}
	_ = os.RemoveAll(dir)
	return res
}

// sendOTLPLoad waits for the collector's OTLP receiver, sends the load at
// the fixed rate, waits for the pipeline to drain, and records in res the
// outcomes, the CPU and the peak RSS of that interval.
func sendOTLPLoad(ctx context.Context, o options, c *collector, grpcPort int, res *report.OTLP) error {
	if err := waitForTelemetry(ctx, c); err != nil {
		return err
	}
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", grpcPort), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	signals := otlpSignals(conn, loggen.New(o.seed))
	// Let the pipeline finish starting (the port may open after telemetry).
	if err := waitReady(ctx, signals); err != nil {
		return fmt.Errorf("OTLP receiver not ready: %w: %s", err, c.logTail())
	}
	// The readiness probes are not part of the measurement: count from here.
	base := drain(ctx, c, signals, 5*time.Second)
	s1, err := procstat.Read(c.pid())
	if err != nil {
		return err
	}
	start := time.Now()
	perRequest := max(o.otlpRate/requestsPerSecond, 1)
	var wg sync.WaitGroup
	for _, sig := range signals {
		wg.Go(func() { sig.loop(ctx, start, o.otlpDuration, perRequest) })
	}
	wg.Wait()
	sendEnd := time.Now()

	fams := drain(ctx, c, signals, 20*time.Second)
	s2, err := procstat.Read(c.pid())
	if err != nil {
		return err
	}
	res.CPU, res.PeakRSS = s2.CPU-s1.CPU, s2.PeakRSS
	res.Duration = sendEnd.Sub(start).Round(100 * time.Millisecond)
	recordOTLPOutcomes(res, signals, base, fams)
	log.Printf("OTLP CPU %.2f s over %s, peak RSS %.1f MiB", res.CPU.Seconds(), res.Duration, float64(res.PeakRSS)/(1<<20))
	return nil
}

// waitForTelemetry waits (at most 30 s) until the collector's telemetry
// endpoint answers: the service is built and its components are starting.
func waitForTelemetry(ctx context.Context, c *collector) error {
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(pollInterval) {
		_, err := c.scrape(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("telemetry endpoint never answered: %w: %s", err, c.logTail())
		}
	}
}

// otlpSignals are the two signals the OTLP scenario sends, spans and logs.
func otlpSignals(conn *grpc.ClientConn, gen *loggen.Generator) []*otlpSignal {
	traces := ptraceotlp.NewGRPCClient(conn)
	logs := plogotlp.NewGRPCClient(conn)
	return []*otlpSignal{
		{name: "traces", errs: map[string]int{}, send: func(ctx context.Context, seq, n int) (int64, error) {
			resp, err := traces.Export(ctx, ptraceotlp.NewExportRequestFromTraces(makeSpans(gen, seq, n)))
			if err != nil {
				return 0, err // resp is empty: reading it panics
			}
			return resp.PartialSuccess().RejectedSpans(), nil
		}},
		{name: "logs", errs: map[string]int{}, send: func(ctx context.Context, seq, n int) (int64, error) {
			resp, err := logs.Export(ctx, plogotlp.NewExportRequestFromLogs(makeLogs(gen, seq, n)))
			if err != nil {
				return 0, err
			}
			return resp.PartialSuccess().RejectedLogRecords(), nil
		}},
	}
}

// recordOTLPOutcomes fills in, per signal, what was sent and refused (the
// client's count) and what the collector accepted, refused and delivered
// between the scrapes base and final (its own counters).
func recordOTLPOutcomes(res *report.OTLP, signals []*otlpSignal, base, final telemetry.Families) {
	for _, sig := range signals {
		res.Sent[sig.name] = sig.sent
		res.ClientRefused[sig.name] = sig.refused
		res.Accepted[sig.name] = acceptedOTLP(final, sig.name) - acceptedOTLP(base, sig.name)
		res.Refused[sig.name] = refusedOTLP(final, sig.name) - refusedOTLP(base, sig.name)
		res.Delivered[sig.name] = deliveredOTLP(final, sig.name) - deliveredOTLP(base, sig.name)
		keys := make([]string, 0, len(sig.errs))
		for k := range sig.errs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			res.ClientErrors = append(res.ClientErrors, fmt.Sprintf("%s: %d× %s", sig.name, sig.errs[k], k))
		}
		log.Printf("OTLP %s: sent %d, accepted %.0f, refused %.0f (client saw %d), delivered %.0f",
			sig.name, sig.sent, res.Accepted[sig.name], res.Refused[sig.name], sig.refused, res.Delivered[sig.name])
	}
}

// rateLimitSetting says which rate limit the default pipeline runs with: the
// runner's REDLINE_RATE_LIMIT_PER_SECOND, else the default in the file.
func rateLimitSetting(config string) string {
	if v := os.Getenv("REDLINE_RATE_LIMIT_PER_SECOND"); v != "" {
		return "REDLINE_RATE_LIMIT_PER_SECOND=" + v + " (from the environment)"
	}
	raw, _ := os.ReadFile(config)
	if m := regexp.MustCompile(`REDLINE_RATE_LIMIT_PER_SECOND:-([^}]*)}`).FindSubmatch(raw); m != nil {
		return "at its default, " + string(m[1]) + "/s"
	}
	return "as the file sets it (no REDLINE_RATE_LIMIT_PER_SECOND in it)"
}

// waitReady sends single items until both signals are accepted (at most 30 s);
// those items are not counted.
func waitReady(ctx context.Context, signals []*otlpSignal) error {
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		err = nil
		for _, sig := range signals {
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, e := sig.send(rctx, -1, 1)
			cancel()
			if e != nil {
				err = e
			}
		}
		if err == nil {
			return nil
		}
	}
	return err
}

// loop sends perRequest items requestsPerSecond times a second for d. A
// request that takes longer than its slot delays the next; the items are
// still counted as sent, so the achieved rate shows in the report.
func (s *otlpSignal) loop(ctx context.Context, start time.Time, d time.Duration, perRequest int) {
	interval := time.Second / requestsPerSecond
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= d {
			return
		}
		if wait := time.Until(at); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		rejected, err := s.send(rctx, i*perRequest, perRequest)
		cancel()
		s.sent += int64(perRequest)
		if err != nil {
			s.refused += int64(perRequest)
			s.errs[status.Code(err).String()]++
		} else if rejected > 0 {
			s.refused += rejected
			s.errs["partial success: rejected"]++
		}
	}
}

// drain waits (at most limit) until the exporters have consumed everything
// the receiver accepted, and returns the last scrape.
func drain(ctx context.Context, c *collector, signals []*otlpSignal, limit time.Duration) telemetry.Families {
	var last telemetry.Families
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		fams, err := c.scrape(ctx)
		if err != nil {
			continue
		}
		last = fams
		done := true
		for _, sig := range signals {
			done = done && deliveredOTLP(fams, sig.name) >= acceptedOTLP(fams, sig.name)
		}
		if done {
			break
		}
	}
	return last
}

func deliveredOTLP(f telemetry.Families, signal string) float64 {
	v, _ := f.Sum("otelcol_exporter_consumed_items", map[string]string{
		"otel_scope_otelcol_component_id": "nop", "otel_scope_otelcol_signal": signal, "otelcol_component_outcome": "success",
	})
	return v
}

func acceptedOTLP(f telemetry.Families, signal string) float64 {
	name := map[string]string{"traces": "otelcol_receiver_accepted_spans", "logs": "otelcol_receiver_accepted_log_records"}[signal]
	v, _ := f.Sum(name, map[string]string{"receiver": "otlp"})
	return v
}

func refusedOTLP(f telemetry.Families, signal string) float64 {
	name := map[string]string{"traces": "otelcol_receiver_refused_spans", "logs": "otelcol_receiver_refused_log_records"}[signal]
	v, _ := f.Sum(name, map[string]string{"receiver": "otlp"})
	return v
}

var otlpEpoch = time.Date(2026, 5, 8, 9, 0, 0, 0, time.UTC)

// makeSpans builds n server spans spread over the generator's services,
// operations and status classes (the same mix as the log lines).
func makeSpans(gen *loggen.Generator, seq, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("bench.otlp")
	info := gen.Describe(uint64(max(seq, 0)))
	rs.Resource().Attributes().PutStr("service.name", info.Service)
	spans := ss.Spans()
	spans.EnsureCapacity(n)
	for k := range n {
		i := uint64(max(seq, 0) + k)
		d := gen.Describe(i)
		sp := spans.AppendEmpty()
		var tid pcommon.TraceID
		var sid pcommon.SpanID
		putUint(tid[:8], i+1)
		putUint(tid[8:], uint64(seq)^0x5bd1e995)
		putUint(sid[:], i+1)
		sp.SetTraceID(tid)
		sp.SetSpanID(sid)
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetName(fmt.Sprintf("GET /v1/op%d/{id}", d.Operation))
		startTS := otlpEpoch.Add(time.Duration(i) * time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(startTS))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(startTS.Add(time.Duration(1+i%250) * time.Millisecond)))
		a := sp.Attributes()
		a.PutStr("http.request.method", "GET")
		a.PutStr("http.route", fmt.Sprintf("/v1/op%d/{id}", d.Operation))
		a.PutStr("url.path", fmt.Sprintf("/v1/op%d/%d", d.Operation, i%10000))
		a.PutInt("http.response.status_code", httpCode(d.Class))
		a.PutStr("rpc.service", d.Service)
		if i%10 == 0 {
			a.PutStr("enduser.email", "user"+strconv.FormatUint(i%100, 10)+"@example.com")
		}
		if d.Class == loggen.Class5xx {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
	}
	return td
}

// makeLogs builds n log records from the generator's lines, parsed as
// attributes the way a service's OTLP log exporter would send them.
func makeLogs(gen *loggen.Generator, seq, n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	info := gen.Describe(uint64(max(seq, 0)))
	rl.Resource().Attributes().PutStr("service.name", info.Service)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("bench.otlp")
	recs := sl.LogRecords()
	recs.EnsureCapacity(n)
	for k := range n {
		i := uint64(max(seq, 0) + k)
		d := gen.Describe(i)
		lr := recs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(otlpEpoch.Add(time.Duration(i) * time.Millisecond)))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		lr.Body().SetStr(string(gen.Line(i)))
		a := lr.Attributes()
		a.PutInt("seq", int64(i))
		a.PutStr("service", d.Service)
		a.PutStr("method", fmt.Sprintf("op%d", d.Operation))
		a.PutInt("status_code", httpCode(d.Class))
		a.PutDouble("duration_ms", float64(1+i%250))
		if i%8 == 0 {
			a.PutStr("token", "tok_"+strconv.FormatUint(i*2654435761, 36))
		}
	}
	return ld
}

func httpCode(c loggen.Class) int64 {
	switch c {
	case loggen.Class4xx:
		return 404
	case loggen.Class5xx:
		return 500
	case loggen.ClassBusy:
		return 503
	case loggen.ClassDisconnect:
		return 499
	}
	return 200
}

func putUint(b []byte, v uint64) {
	for k := range b {
		b[k] = byte(v >> (8 * k))
	}
}
