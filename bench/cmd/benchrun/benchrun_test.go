package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/redline-otel/redline/bench/loggen"
)

func TestReceiversOfType(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "receivers:\n  accesslog:\n    include: [a]\n  accesslog/app:\n    include: [b]\n  otlp: {}\nexporters:\n  accesslog: {}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := receiversOfType(cfg, "accesslog"), []string{"accesslog", "accesslog/app"}; !slices.Equal(got, want) {
		t.Fatalf("receiversOfType = %v, want %v", got, want)
	}
	if got := receiversOfType(filepath.Join(t.TempDir(), "missing.yaml"), "accesslog"); got != nil {
		t.Fatalf("a missing file gave %v", got)
	}
}

func TestRunEnvPorts(t *testing.T) {
	env, err := newRunEnv(filepath.Join(t.TempDir(), "run"), "/in.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, name := range []string{"BENCH_TELEMETRY_PORT", "REDLINE_OTLP_GRPC_PORT", "REDLINE_OTLP_HTTP_PORT", "REDLINE_HEALTH_PORT"} {
		p := env.port(name)
		if p <= 0 || seen[p] {
			t.Fatalf("%s = %d: want a distinct free port", name, p)
		}
		seen[p] = true
	}
	if st, err := os.Stat(filepath.Join(env.dir, "storage")); err != nil || !st.IsDir() {
		t.Fatalf("no fresh storage dir: %v", err)
	}
}

// TestMeasureReference runs the whole measuring loop on a small input with
// the reference collector, when it has been built (go run ./cmd/benchrun
// builds it); it is skipped otherwise.
func TestMeasureReference(t *testing.T) {
	bin, _ := filepath.Abs("../../_work/bin/otelcol-reference")
	if _, err := os.Stat(bin); err != nil {
		t.Skip("reference collector not built (run the bench once): ", err)
	}
	benchDir, _ := filepath.Abs("../..")
	dir := t.TempDir()
	input := filepath.Join(dir, "in.jsonl")
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loggen.New(3).WriteN(f, 5000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	o := options{benchDir: benchDir, root: filepath.Dir(benchDir), lines: 5000, input: input, runTimeout: time.Minute,
		redlineConfig: filepath.Join(filepath.Dir(benchDir), "config", "collector.yaml")}
	defs := scenarioDefs(o, input)
	env, err := newRunEnv(filepath.Join(dir, "run"), input)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := validate(ctx, bin, defs[0].reference, env); err != nil {
		t.Fatal(err)
	}
	run, err := measure(ctx, o, bin, defs[0].reference, env)
	if err != nil {
		t.Fatal(err)
	}
	if run.Wall <= 0 || run.PeakRSS <= 0 || run.LinesPerSecond() <= 0 {
		t.Fatalf("implausible run: %+v", run)
	}
	// One line short of the input never completes: the stall is reported.
	short := o
	short.lines = 5001
	short.runTimeout = 3 * time.Second
	if _, err := measure(ctx, short, bin, defs[0].reference, env); err == nil {
		t.Fatal("a run that cannot reach its line count reported success")
	}
}

func TestOTLPPayloads(t *testing.T) {
	g := loggen.New(1)
	td := makeSpans(g, 100, 50)
	if td.SpanCount() != 50 {
		t.Fatalf("%d spans, want 50", td.SpanCount())
	}
	ids := map[string]bool{}
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		sp := spans.At(i)
		if _, ok := sp.Attributes().Get("http.response.status_code"); !ok {
			t.Fatalf("span %d has no status code", i)
		}
		ids[sp.SpanID().String()] = true
	}
	if len(ids) != 50 {
		t.Fatalf("%d distinct span ids in 50 spans", len(ids))
	}
	ld := makeLogs(g, 0, 20)
	if ld.LogRecordCount() != 20 {
		t.Fatalf("%d log records, want 20", ld.LogRecordCount())
	}
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(7)
	if seq, _ := lr.Attributes().Get("seq"); seq.Int() != 7 || lr.Body().Str() != string(g.Line(7)) {
		t.Fatalf("record 7: seq %v, body %q", seq.AsString(), lr.Body().Str())
	}
	// The readiness probe sends with seq -1: it must not panic.
	if makeSpans(g, -1, 1).SpanCount() != 1 || makeLogs(g, -1, 1).LogRecordCount() != 1 {
		t.Fatal("probe payloads are not one item")
	}
}
