// Package report turns the bench's measured runs into medians, ratios and
// target verdicts, and renders them as the Markdown of bench/RESULTS.md.
package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The collectors a scenario runs: redline as built, optionally a baseline
// (another redline binary, such as the previous release), and the contrib
// reference.
const (
	Redline   = "redline"
	Baseline  = "baseline"
	Reference = "reference"
)

// Run is one measured run of one collector on one scenario.
type Run struct {
	Scenario  string        `json:"scenario"`
	Collector string        `json:"collector"` // Redline, Baseline or Reference
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
	ID, Title                    string
	Redline, Baseline, Reference string // one-line description of each side's pipeline; Baseline empty without one
	Target                       Target
	Runs                         []Run
	RedlineUnavailable           string // why redline's side was not run, if so
	BaselineUnavailable          string
	ReferenceUnavailable         string
}

// MarkUnavailable records why a collector's side of the scenario was not run.
func (s *Scenario) MarkUnavailable(collector, why string) {
	switch collector {
	case Redline:
		s.RedlineUnavailable = why
	case Baseline:
		s.BaselineUnavailable = why
	default:
		s.ReferenceUnavailable = why
	}
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
	// Baseline describes the second redline binary measured next to redline
	// (version, binary, default pipeline); empty when there is none.
	Baseline    string
	Reference   string
	Lines       uint64
	InputBytes  int64
	Seed        int64
	RunsPerSide int
	Command     string
	// IdleRSS says, per collector, its RSS when started with scenario A's
	// configuration and nothing to read: the floor under every peak below.
	IdleRSS []string
}
