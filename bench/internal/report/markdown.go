package report

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Results is everything one bench run produces (_work/results.json holds it).
type Results struct {
	Header    Header
	Scenarios []Scenario
	OTLP      *OTLP // redline's OTLP scenario, when it was run
	// BaselineOTLP is the same load into the baseline, when there is one.
	BaselineOTLP *OTLP `json:",omitempty"`
}

// Write renders RESULTS.md.
func Write(w io.Writer, r Results) error {
	var b strings.Builder
	writeHeader(&b, r.Header)
	writeSummary(&b, r.Scenarios)
	if r.Header.Baseline != "" {
		writeBeforeAfter(&b, r.Scenarios)
	}
	writeScenarios(&b, r.Scenarios)
	if r.OTLP != nil {
		writeOTLP(&b, "redline's default pipeline", r.OTLP)
	}
	if r.BaselineOTLP != nil {
		writeOTLP(&b, "the baseline's default pipeline", r.BaselineOTLP)
		if r.OTLP != nil {
			writeOTLPBeforeAfter(&b, r.OTLP, r.BaselineOTLP)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHeader(b *strings.Builder, h Header) {
	fmt.Fprintf(b, "# redline end-to-end bench results\n\n")
	fmt.Fprintf(b, "Written by `%s` on %s. Re-run it to refresh this file; see README.md for what each scenario compares.\n\n", h.Command, h.Date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(b, "| | |\n|---|---|\n")
	fmt.Fprintf(b, "| Machine | %d cores, %s, %s RAM, %s |\n", h.Cores, h.CPUModel, h.MemTotal, h.Kernel)
	fmt.Fprintf(b, "| Load average at start | %s |\n", h.LoadAtStart)
	fmt.Fprintf(b, "| Go | %s |\n", h.GoVersion)
	fmt.Fprintf(b, "| redline | %s (commit %s) |\n", h.RedlineVersion, h.RedlineCommit)
	if h.Baseline != "" {
		fmt.Fprintf(b, "| Baseline | %s |\n", h.Baseline)
	}
	fmt.Fprintf(b, "| Reference | %s |\n", h.Reference)
	fmt.Fprintf(b, "| Input | %s lines, %.1f MiB (%d B/line), loggen seed %d, the same file for every run |\n",
		humanCount(float64(h.Lines)), float64(h.InputBytes)/(1<<20), h.InputBytes/max(int64(h.Lines), 1), h.Seed)
	order := "alternating redline and reference"
	if h.Baseline != "" {
		order = "redline, baseline and reference in an order that rotates every round"
	}
	fmt.Fprintf(b, "| Runs | %d per collector per scenario, %s; medians below |\n", h.RunsPerSide, order)
	if len(h.IdleRSS) > 0 {
		fmt.Fprintf(b, "| Idle RSS (scenario A, no input) | %s |\n", strings.Join(h.IdleRSS, "; "))
	}
	b.WriteString("\n")
}

func writeSummary(b *strings.Builder, scenarios []Scenario) {
	fmt.Fprintf(b, "## Summary (medians; ratio = redline ÷ reference)\n\n")
	fmt.Fprintf(b, "| Scenario | lines/s redline | lines/s reference | ratio | CPU-s/M lines redline | CPU-s/M reference | ratio | peak RSS redline | peak RSS reference | ratio | target | verdict |\n")
	fmt.Fprintf(b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, s := range scenarios {
		red, ref := MedianOf(s.side(Redline)), MedianOf(s.side(Reference))
		verdict := s.Target.Verdict(red, ref)
		if n := len(s.side(Redline)); n > 0 && red.Runs == 0 {
			verdict = fmt.Sprintf("missed: all %d redline runs failed (see below)", n)
		}
		fmt.Fprintf(b, "| %s %s | %s | %s | %s |\n", s.ID, s.Title, comparedFigures(red, ref), s.Target.Describe(), verdict)
	}
	b.WriteString("\n")
}

// writeBeforeAfter sets redline next to the baseline (the binary it
// replaces): the upgrade question, independent of the reference.
func writeBeforeAfter(b *strings.Builder, scenarios []Scenario) {
	fmt.Fprintf(b, "## Before and after (medians; ratio = redline ÷ baseline)\n\n")
	fmt.Fprintf(b, "| Scenario | lines/s redline | lines/s baseline | ratio | CPU-s/M lines redline | CPU-s/M baseline | ratio | peak RSS redline | peak RSS baseline | ratio |\n")
	fmt.Fprintf(b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range scenarios {
		red, base := MedianOf(s.side(Redline)), MedianOf(s.side(Baseline))
		fmt.Fprintf(b, "| %s %s | %s |\n", s.ID, s.Title, comparedFigures(red, base))
	}
	fmt.Fprintf(b, "\nA lines/s ratio above 1, or a CPU or RSS ratio below 1, favours redline as built. Judge a difference "+
		"against the spread of each side's runs in the tables below: on a shared machine single runs move by several percent.\n\n")
}

// comparedFigures renders the nine cells lines/s, CPU-s/M and peak RSS of
// two collectors, each pair followed by the ratio a ÷ b.
func comparedFigures(a, b Median) string {
	return strings.Join([]string{
		fmtCount(a, a.LinesPerSecond), fmtCount(b, b.LinesPerSecond), ratio(a, b, a.LinesPerSecond, b.LinesPerSecond),
		fmtFloat(a, a.CPUPerMillion), fmtFloat(b, b.CPUPerMillion), ratio(a, b, a.CPUPerMillion, b.CPUPerMillion),
		fmtMiB(a, a.PeakRSS), fmtMiB(b, b.PeakRSS), ratio(a, b, a.PeakRSS, b.PeakRSS),
	}, " | ")
}

func writeScenarios(b *strings.Builder, scenarios []Scenario) {
	fmt.Fprintf(b, "## Scenarios\n\n")
	for _, s := range scenarios {
		fmt.Fprintf(b, "### %s %s\n\n- redline: %s\n", s.ID, s.Title, s.Redline)
		if s.Baseline != "" {
			fmt.Fprintf(b, "- baseline: %s\n", s.Baseline)
		}
		fmt.Fprintf(b, "- reference: %s\n", s.Reference)
		for _, u := range []struct{ collector, why string }{
			{Redline, s.RedlineUnavailable}, {Baseline, s.BaselineUnavailable}, {Reference, s.ReferenceUnavailable},
		} {
			if u.why != "" {
				fmt.Fprintf(b, "- %s not run: %s\n", u.collector, u.why)
			}
		}
		if len(s.Runs) > 0 {
			writeRuns(b, s.Runs)
		}
		b.WriteString("\n")
	}
}

func writeRuns(b *strings.Builder, runs []Run) {
	fmt.Fprintf(b, "\n| run | collector | wall s | lines/s | CPU s | CPU-s/M lines | peak RSS MiB | error |\n|---:|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range runs {
		if r.Err != "" {
			fmt.Fprintf(b, "| %d | %s | – | – | – | – | – | %s |\n", r.Index+1, r.Collector, r.Err)
			continue
		}
		fmt.Fprintf(b, "| %d | %s | %.2f | %s | %.2f | %.2f | %.1f | |\n", r.Index+1, r.Collector, r.Wall.Seconds(),
			humanCount(r.LinesPerSecond()), r.CPU.Seconds(), r.CPUPerMillion(), float64(r.PeakRSS)/(1<<20))
	}
}

// writeOTLP renders one collector's OTLP scenario; into names its pipeline.
func writeOTLP(b *strings.Builder, into string, o *OTLP) {
	fmt.Fprintf(b, "## OTLP: spans and logs over OTLP/gRPC into %s\n\n", into)
	if o.Unavailable != "" {
		fmt.Fprintf(b, "Not run: %s\n\n", o.Unavailable)
		return
	}
	fmt.Fprintf(b, "%s; %d items/s per signal for %s, in requests every 100 ms.\n\n", o.PipelineConfig, o.RatePerSignal, o.Duration)
	if o.Err != "" {
		fmt.Fprintf(b, "Error: %s\n\n", o.Err)
	}
	secs := o.Duration.Seconds()
	fmt.Fprintf(b, "| signal | sent | accepted | accepted/s | refused (receiver) | refused (client saw) | delivered to exporter | lost |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, sig := range []string{"traces", "logs"} {
		acc := o.Accepted[sig]
		fmt.Fprintf(b, "| %s | %d | %.0f | %s | %.0f | %d | %.0f | %.0f |\n", sig, o.Sent[sig], acc, humanCount(acc/secs),
			o.Refused[sig], o.ClientRefused[sig], o.Delivered[sig], float64(o.Sent[sig])-o.Delivered[sig]-float64(o.ClientRefused[sig]))
	}
	fmt.Fprintf(b, "\nCPU: %.2f s over the run (%.1f%% of one core; %.2f CPU-s per million items); peak RSS %.1f MiB.\n\n",
		o.CPU.Seconds(), 100*o.CPU.Seconds()/secs, o.CPUPerMillion(), float64(o.PeakRSS)/(1<<20))
	for _, e := range o.ClientErrors {
		fmt.Fprintf(b, "- client: %s\n", e)
	}
	if len(o.ClientErrors) > 0 {
		b.WriteString("\n")
	}
}

// CPUPerMillion is CPU seconds per million items accepted (NaN when none were).
func (o *OTLP) CPUPerMillion() float64 {
	var accepted float64
	for _, n := range o.Accepted {
		accepted += n
	}
	if accepted == 0 {
		return math.NaN()
	}
	return o.CPU.Seconds() / (accepted / 1e6)
}

// writeOTLPBeforeAfter compares redline's OTLP run with the baseline's (one
// run each, so one sample per side, not a median).
func writeOTLPBeforeAfter(b *strings.Builder, red, base *OTLP) {
	if red.Unavailable != "" || base.Unavailable != "" || red.Err != "" || base.Err != "" {
		return
	}
	fmt.Fprintf(b, "OTLP before and after (one run each; ratio = redline ÷ baseline): CPU-s per million items %.2f against %.2f (%.2f), peak RSS %.1f against %.1f MiB (%.2f).\n\n",
		red.CPUPerMillion(), base.CPUPerMillion(), red.CPUPerMillion()/base.CPUPerMillion(),
		float64(red.PeakRSS)/(1<<20), float64(base.PeakRSS)/(1<<20), float64(red.PeakRSS)/float64(base.PeakRSS))
}

func ratio(a, b Median, x, y float64) string {
	if a.Runs == 0 || b.Runs == 0 || y == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", x/y)
}

func fmtCount(m Median, v float64) string {
	if m.Runs == 0 {
		return "–"
	}
	return humanCount(v)
}

func fmtFloat(m Median, v float64) string {
	if m.Runs == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtMiB(m Median, v float64) string {
	if m.Runs == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MiB", v/(1<<20))
}

// humanCount renders 1234567 as 1.23M and 165000 as 165k.
func humanCount(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
