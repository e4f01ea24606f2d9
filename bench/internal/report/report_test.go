package report

import (
	"math"
	"strings"
	"testing"
	"time"
)

func run(collector string, i int, wall, cpu time.Duration, rssMiB int64) Run {
	return Run{Scenario: "A", Collector: collector, Index: i, Lines: 2_000_000, Wall: wall, CPU: cpu, PeakRSS: rssMiB << 20}
}

func TestMedianOf(t *testing.T) {
	runs := []Run{
		run("redline", 0, 4*time.Second, 3*time.Second, 30),
		run("redline", 1, 5*time.Second, 2*time.Second, 40),
		run("redline", 2, 10*time.Second, 4*time.Second, 20),
		{Collector: "redline", Lines: 2_000_000, Err: "timed out"},
	}
	m := MedianOf(runs)
	if m.Runs != 3 {
		t.Fatalf("runs %d, want 3 (the failed run is left out)", m.Runs)
	}
	if m.LinesPerSecond != 400_000 { // 2M/5s
		t.Errorf("lines/s %v, want 400000", m.LinesPerSecond)
	}
	if m.CPUPerMillion != 1.5 { // 3 s / 2M lines
		t.Errorf("CPU/M %v, want 1.5", m.CPUPerMillion)
	}
	if m.PeakRSS != 30<<20 {
		t.Errorf("RSS %v, want 30 MiB", m.PeakRSS)
	}
	if even := median([]float64{4, 1, 3, 2}); even != 2.5 {
		t.Errorf("median of 4 values %v, want 2.5", even)
	}
	if !math.IsNaN(MedianOf(nil).LinesPerSecond) {
		t.Error("median of no runs should be NaN")
	}
}

func TestVerdict(t *testing.T) {
	ref := Median{Runs: 3, LinesPerSecond: 165_000, CPUPerMillion: 8, PeakRSS: 70 << 20}
	cases := []struct {
		target Target
		red    Median
		want   string
	}{
		{Target{MaxCPURatio: 0.25, MaxRSSRatio: 0.5}, Median{Runs: 3, CPUPerMillion: 1.9, PeakRSS: 30 << 20}, "met"},
		{Target{MaxCPURatio: 0.25, MaxRSSRatio: 0.5}, Median{Runs: 3, CPUPerMillion: 4, PeakRSS: 30 << 20}, "missed: 2.00× fewer CPU-s, not 4×"},
		{Target{MinLinesPerSec: 300_000}, Median{Runs: 3, LinesPerSecond: 250_000}, "missed: 250k lines/s < 300k"},
		{Target{MaxRSSRatio: 0.5}, Median{Runs: 3, PeakRSS: 63 << 20}, "missed: peak RSS 90% of the reference's, not ≤ 50%"},
		{Target{MaxCPURatio: 0.1}, Median{}, "not measured"},
	}
	for _, c := range cases {
		if got := c.target.Verdict(c.red, ref); got != c.want {
			t.Errorf("%+v: verdict %q, want %q", c.target, got, c.want)
		}
	}
	if d := (Target{MaxCPURatio: 0.25, MaxRSSRatio: 0.5}).Describe(); d != "≥ 4× fewer CPU-s per million lines, ≤ 50% of the peak RSS" {
		t.Errorf("Describe = %q", d)
	}
}

func TestWrite(t *testing.T) {
	s := Scenario{ID: "A", Title: "tail + parse", Redline: "accesslog -> batch -> nop", Reference: "file_log -> batch -> nop",
		Target: Target{MaxCPURatio: 0.25, MaxRSSRatio: 0.5},
		Runs: []Run{
			run("redline", 0, 4*time.Second, 3*time.Second, 30),
			run("reference", 0, 12*time.Second, 16*time.Second, 70),
		}}
	o := &OTLP{Duration: 30 * time.Second, RatePerSignal: 1000, PipelineConfig: "config/collector.yaml",
		Sent: map[string]int64{"traces": 30000, "logs": 30000}, Accepted: map[string]float64{"traces": 30000, "logs": 30000},
		Delivered: map[string]float64{"traces": 30000, "logs": 30000}, CPU: 3 * time.Second, PeakRSS: 50 << 20}
	failed := Scenario{ID: "D", Title: "default", Target: Target{MinLinesPerSec: 300_000},
		Runs: []Run{{Collector: "redline", Err: "stalled"}, run("reference", 0, 12*time.Second, 16*time.Second, 70)}}
	var b strings.Builder
	h := Header{Date: time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC), Cores: 2, CPUModel: "AMD EPYC", Lines: 2_000_000, InputBytes: 560_000_000, RunsPerSide: 1, Command: "make bench-e2e"}
	if err := Write(&b, Results{Header: h, Scenarios: []Scenario{s, failed}, OTLP: o}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| A tail + parse | 500k | 167k | 3.00 | 1.50 | 8.00 | 0.19 | 30 MiB | 70 MiB | 0.43 |",
		"| met |",
		"| missed: all 1 redline runs failed (see below) |",
		"2026-11-22 02:00 UTC",
		"| traces | 30000 | 30000 | 1.0k | 0 | 0 | 30000 | 0 |",
		"CPU: 3.00 s over the run (10.0% of one core; 50.00 CPU-s per million items)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("RESULTS.md lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"aseline", "Before and after"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("RESULTS.md without a baseline mentions %q:\n%s", unwanted, out)
		}
	}
}

func TestWriteWithBaseline(t *testing.T) {
	s := Scenario{ID: "A", Title: "tail + parse", Redline: "accesslog -> batch -> nop", Baseline: "as redline's",
		Reference: "file_log -> batch -> nop", Target: Target{MaxCPURatio: 0.25},
		Runs: []Run{
			run(Redline, 0, 4*time.Second, 3*time.Second, 30),
			run(Baseline, 0, 5*time.Second, 4*time.Second, 40),
			run(Reference, 0, 12*time.Second, 16*time.Second, 70),
		}}
	unavailable := Scenario{ID: "D", Title: "default", Target: Target{MinLinesPerSec: 300_000},
		Runs: []Run{run(Redline, 0, 4*time.Second, 3*time.Second, 30)}}
	unavailable.MarkUnavailable(Baseline, "redline validate: unknown extension pprof")
	otlp := func(cpu time.Duration, rssMiB int64) *OTLP {
		return &OTLP{Duration: 30 * time.Second, RatePerSignal: 1000, PipelineConfig: "config/collector.yaml",
			Sent: map[string]int64{"traces": 30000, "logs": 30000}, Accepted: map[string]float64{"traces": 30000, "logs": 30000},
			Delivered: map[string]float64{"traces": 30000, "logs": 30000}, CPU: cpu, PeakRSS: rssMiB << 20}
	}
	h := Header{Date: time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC), Cores: 2, Lines: 2_000_000, RunsPerSide: 3,
		Baseline: "redline version 0.1.0, binary /old/redline", Command: "make bench-e2e"}
	var b strings.Builder
	err := Write(&b, Results{Header: h, Scenarios: []Scenario{s, unavailable}, OTLP: otlp(3*time.Second, 50), BaselineOTLP: otlp(6*time.Second, 40)})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| Baseline | redline version 0.1.0, binary /old/redline |",
		"redline, baseline and reference in an order that rotates every round",
		"## Before and after (medians; ratio = redline ÷ baseline)",
		// 500k against 400k lines/s, 1.50 against 2.00 CPU-s/M, 30 against 40 MiB.
		"| A tail + parse | 500k | 400k | 1.25 | 1.50 | 2.00 | 0.75 | 30 MiB | 40 MiB | 0.75 |\n",
		"| D default | 500k | – | – | 1.50 | – | – | 30 MiB | – | – |\n",
		"- baseline: as redline's\n",
		"- baseline not run: redline validate: unknown extension pprof\n",
		"| 1 | baseline | 5.00 | 400k | 4.00 | 2.00 | 40.0 | |",
		"## OTLP: spans and logs over OTLP/gRPC into the baseline's default pipeline",
		"CPU-s per million items 50.00 against 100.00 (0.50), peak RSS 50.0 against 40.0 MiB (1.25)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("RESULTS.md lacks %q:\n%s", want, out)
		}
	}
	// The redline ÷ reference summary is unchanged by the baseline.
	if want := "| A tail + parse | 500k | 167k | 3.00 | 1.50 | 8.00 | 0.19 | 30 MiB | 70 MiB | 0.43 |"; !strings.Contains(out, want) {
		t.Errorf("summary lacks %q", want)
	}
}
