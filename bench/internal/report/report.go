// Package report turns the bench's measured runs into medians, ratios and
// target verdicts, and renders them as the Markdown of bench/RESULTS.md.
package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Run is one measured run of one collector on one scenario.
type Run struct {
	Scenario  string        `json:"scenario"`
	Collector string        `json:"collector"` // "redline" or "reference"
	Index     int           `json:"index"`
	Lines     uint64        `json:"lines"`
	Wall      time.Duration `json:"wall_ns"`
	CPU       time.Duration `json:"cpu_ns"`
	PeakRSS   int64         `json:"peak_rss_bytes"`
	Err       string        `json:"error,omitempty"`
}

// LinesPerSecond is the run's throughput from first telemetry answer to done.
func (r Run) LinesPerSecond() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Lines) / r.Wall.Seconds()
}

// CPUPerMillion is CPU seconds spent per million lines.
func (r Run) CPUPerMillion() float64 {
	if r.Lines == 0 {
		return 0
	}
	return r.CPU.Seconds() / (float64(r.Lines) / 1e6)
}

// Median of the successful runs, per figure (each figure's own median, as
// the issue asks, not the run with the median throughput).
type Median struct {
	Runs           int
	LinesPerSecond float64
	CPUPerMillion  float64
	PeakRSS        float64
}

// MedianOf summarises the runs without errors.
func MedianOf(runs []Run) Median {
	var lps, cpu, rss []float64
	for _, r := range runs {
		if r.Err != "" {
			continue
		}
		lps = append(lps, r.LinesPerSecond())
		cpu = append(cpu, r.CPUPerMillion())
		rss = append(rss, float64(r.PeakRSS))
	}
	return Median{Runs: len(lps), LinesPerSecond: median(lps), CPUPerMillion: median(cpu), PeakRSS: median(rss)}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Target is a goal for one scenario: a bound on a ratio redline/reference or
// on redline's own throughput. Zero fields are not checked.
type Target struct {
	MaxCPURatio    float64 // redline CPU/M ÷ reference CPU/M at most this
	MaxRSSRatio    float64 // redline peak RSS ÷ reference peak RSS at most this
	MinLinesPerSec float64 // redline lines/s at least this
}

// Describe renders the target in words.
func (t Target) Describe() string {
	var p []string
	if t.MaxCPURatio > 0 {
		p = append(p, fmt.Sprintf("≥ %.0f× fewer CPU-s per million lines", 1/t.MaxCPURatio))
	}
	if t.MaxRSSRatio > 0 {
		p = append(p, fmt.Sprintf("≤ %.0f%% of the peak RSS", t.MaxRSSRatio*100))
	}
	if t.MinLinesPerSec > 0 {
		p = append(p, fmt.Sprintf("≥ %s lines/s", humanCount(t.MinLinesPerSec)))
	}
	return strings.Join(p, ", ")
}

// Verdict checks redline's and the reference's medians against the target.
// It returns "met", "missed: ..." or "not measured".
func (t Target) Verdict(red, ref Median) string {
	var missed []string
	measured := false
	if t.MaxCPURatio > 0 && red.Runs > 0 && ref.Runs > 0 {
		measured = true
		if r := red.CPUPerMillion / ref.CPUPerMillion; r > t.MaxCPURatio {
			missed = append(missed, fmt.Sprintf("%.2f× fewer CPU-s, not %.0f×", 1/r, 1/t.MaxCPURatio))
		}
	}
	if t.MaxRSSRatio > 0 && red.Runs > 0 && ref.Runs > 0 {
		measured = true
		if r := red.PeakRSS / ref.PeakRSS; r > t.MaxRSSRatio {
			missed = append(missed, fmt.Sprintf("peak RSS %.0f%% of the reference's, not ≤ %.0f%%", 100*r, 100*t.MaxRSSRatio))
		}
	}
	if t.MinLinesPerSec > 0 && red.Runs > 0 {
		measured = true
		if red.LinesPerSecond < t.MinLinesPerSec {
			missed = append(missed, fmt.Sprintf("%s lines/s < %s", humanCount(red.LinesPerSecond), humanCount(t.MinLinesPerSec)))
		}
	}
	switch {
	case !measured:
		return "not measured"
	case len(missed) > 0:
		return "missed: " + strings.Join(missed, "; ")
	}
	return "met"
}

// Scenario is one comparison: what it runs on each side, its runs and target.
type Scenario struct {
	ID, Title            string
	Redline, Reference   string // one-line description of each side's pipeline
	Target               Target
	Runs                 []Run
	RedlineUnavailable   string // why redline's side was not run, if so
	ReferenceUnavailable string
}

func (s Scenario) side(collector string) []Run {
	var out []Run
	for _, r := range s.Runs {
		if r.Collector == collector {
			out = append(out, r)
		}
	}
	return out
}

// OTLP is the result of the OTLP load scenario.
type OTLP struct {
	Duration       time.Duration
	RatePerSignal  int // items/s sent per signal
	Sent           map[string]int64
	ClientRefused  map[string]int64 // requests' items the client saw rejected
	Accepted       map[string]float64
	Refused        map[string]float64 // receiver's own refused counter
	Delivered      map[string]float64 // consumed by the pipeline's exporter
	CPU            time.Duration
	PeakRSS        int64
	Err            string
	Unavailable    string
	ClientErrors   []string
	PipelineConfig string
}

// Header describes the machine and the inputs.
type Header struct {
	Date           time.Time
	Cores          int
	CPUModel       string
	MemTotal       string
	Kernel         string
	LoadAtStart    string
	GoVersion      string
	RedlineVersion string
	RedlineCommit  string
	Reference      string
	Lines          uint64
	InputBytes     int64
	Seed           int64
	RunsPerSide    int
	Command        string
	// IdleRSS says, per collector, its RSS when started with scenario A's
	// configuration and nothing to read: the floor under every peak below.
	IdleRSS []string
}

// Write renders RESULTS.md.
func Write(w io.Writer, h Header, scenarios []Scenario, otlp *OTLP) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# redline end-to-end bench results\n\n")
	fmt.Fprintf(&b, "Written by `%s` on %s. Re-run it to refresh this file; see README.md for what each scenario compares.\n\n", h.Command, h.Date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Machine | %d cores, %s, %s RAM, %s |\n", h.Cores, h.CPUModel, h.MemTotal, h.Kernel)
	fmt.Fprintf(&b, "| Load average at start | %s |\n", h.LoadAtStart)
	fmt.Fprintf(&b, "| Go | %s |\n", h.GoVersion)
	fmt.Fprintf(&b, "| redline | %s (commit %s) |\n", h.RedlineVersion, h.RedlineCommit)
	fmt.Fprintf(&b, "| Reference | %s |\n", h.Reference)
	fmt.Fprintf(&b, "| Input | %s lines, %.1f MiB (%d B/line), loggen seed %d, the same file for every run |\n",
		humanCount(float64(h.Lines)), float64(h.InputBytes)/(1<<20), h.InputBytes/max(int64(h.Lines), 1), h.Seed)
	fmt.Fprintf(&b, "| Runs | %d per collector per scenario, alternating redline and reference; medians below |\n", h.RunsPerSide)
	if len(h.IdleRSS) > 0 {
		fmt.Fprintf(&b, "| Idle RSS (scenario A, no input) | %s |\n", strings.Join(h.IdleRSS, "; "))
	}
	b.WriteString("\n")

	fmt.Fprintf(&b, "## Summary (medians; ratio = redline ÷ reference)\n\n")
	fmt.Fprintf(&b, "| Scenario | lines/s redline | lines/s reference | ratio | CPU-s/M lines redline | CPU-s/M reference | ratio | peak RSS redline | peak RSS reference | ratio | target | verdict |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, s := range scenarios {
		red, ref := MedianOf(s.side("redline")), MedianOf(s.side("reference"))
		verdict := s.Target.Verdict(red, ref)
		if n := len(s.side("redline")); n > 0 && red.Runs == 0 {
			verdict = fmt.Sprintf("missed: all %d redline runs failed (see below)", n)
		}
		fmt.Fprintf(&b, "| %s %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.ID, s.Title,
			fmtCount(red, red.LinesPerSecond), fmtCount(ref, ref.LinesPerSecond), ratio(red, ref, red.LinesPerSecond, ref.LinesPerSecond),
			fmtFloat(red, red.CPUPerMillion), fmtFloat(ref, ref.CPUPerMillion), ratio(red, ref, red.CPUPerMillion, ref.CPUPerMillion),
			fmtMiB(red, red.PeakRSS), fmtMiB(ref, ref.PeakRSS), ratio(red, ref, red.PeakRSS, ref.PeakRSS),
			s.Target.Describe(), verdict)
	}
	b.WriteString("\n")

	fmt.Fprintf(&b, "## Scenarios\n\n")
	for _, s := range scenarios {
		fmt.Fprintf(&b, "### %s %s\n\n- redline: %s\n- reference: %s\n", s.ID, s.Title, s.Redline, s.Reference)
		if s.RedlineUnavailable != "" {
			fmt.Fprintf(&b, "- redline not run: %s\n", s.RedlineUnavailable)
		}
		if s.ReferenceUnavailable != "" {
			fmt.Fprintf(&b, "- reference not run: %s\n", s.ReferenceUnavailable)
		}
		if len(s.Runs) > 0 {
			fmt.Fprintf(&b, "\n| run | collector | wall s | lines/s | CPU s | CPU-s/M lines | peak RSS MiB | error |\n|---:|---|---:|---:|---:|---:|---:|---|\n")
			for _, r := range s.Runs {
				if r.Err != "" {
					fmt.Fprintf(&b, "| %d | %s | – | – | – | – | – | %s |\n", r.Index+1, r.Collector, r.Err)
					continue
				}
				fmt.Fprintf(&b, "| %d | %s | %.2f | %s | %.2f | %.2f | %.1f | |\n", r.Index+1, r.Collector, r.Wall.Seconds(),
					humanCount(r.LinesPerSecond()), r.CPU.Seconds(), r.CPUPerMillion(), float64(r.PeakRSS)/(1<<20))
			}
		}
		b.WriteString("\n")
	}

	if otlp != nil {
		writeOTLP(&b, otlp)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeOTLP(b *strings.Builder, o *OTLP) {
	fmt.Fprintf(b, "## OTLP: spans and logs over OTLP/gRPC into redline's default pipeline\n\n")
	if o.Unavailable != "" {
		fmt.Fprintf(b, "Not run: %s\n\n", o.Unavailable)
		return
	}
	fmt.Fprintf(b, "%s; %d items/s per signal for %s, in requests every 100 ms.\n\n", o.PipelineConfig, o.RatePerSignal, o.Duration)
	if o.Err != "" {
		fmt.Fprintf(b, "Error: %s\n\n", o.Err)
	}
	secs := o.Duration.Seconds()
	var total float64
	fmt.Fprintf(b, "| signal | sent | accepted | accepted/s | refused (receiver) | refused (client saw) | delivered to exporter | lost |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, sig := range []string{"traces", "logs"} {
		acc := o.Accepted[sig]
		total += acc
		fmt.Fprintf(b, "| %s | %d | %.0f | %s | %.0f | %d | %.0f | %.0f |\n", sig, o.Sent[sig], acc, humanCount(acc/secs),
			o.Refused[sig], o.ClientRefused[sig], o.Delivered[sig], float64(o.Sent[sig])-o.Delivered[sig]-float64(o.ClientRefused[sig]))
	}
	cpuPerM := math.NaN()
	if total > 0 {
		cpuPerM = o.CPU.Seconds() / (total / 1e6)
	}
	fmt.Fprintf(b, "\nCPU: %.2f s over the run (%.1f%% of one core; %.2f CPU-s per million items); peak RSS %.1f MiB.\n\n",
		o.CPU.Seconds(), 100*o.CPU.Seconds()/secs, cpuPerM, float64(o.PeakRSS)/(1<<20))
	for _, e := range o.ClientErrors {
		fmt.Fprintf(b, "- client: %s\n", e)
	}
	if len(o.ClientErrors) > 0 {
		b.WriteString("\n")
	}
}

func ratio(red, ref Median, a, b float64) string {
	if red.Runs == 0 || ref.Runs == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
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
