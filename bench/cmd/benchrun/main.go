// Command benchrun is redline's end-to-end bench (make bench-e2e): it builds
// redline and the contrib reference collector, generates one input file, runs
// each scenario on both collectors in turn (and on a baseline redline binary,
// when given one), several times, measures them from the outside (/proc) and
// from their own telemetry, and writes bench/RESULTS.md. See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/redline-otel/redline/bench/internal/report"
)

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("benchrun: ")
	wd, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	o, err := parseOptions(os.Args[1:], os.Getenv, wd)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case err != nil:
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, o options) error {
	if o.renderOnly {
		return renderLastResults(o)
	}
	started := time.Now()
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	bins, err := prepareBinaries(ctx, o)
	if err != nil {
		return err
	}
	h := header(ctx, o, bins)
	input, size, err := generateInput(o)
	if err != nil {
		return err
	}
	o.input, h.InputBytes = input, size

	defs := scenarioDefs(o, input)
	for _, sd := range sidesOf(bins, defs[0]) {
		h.IdleRSS = append(h.IdleRSS, idleRSS(ctx, o, sd))
	}
	log.Printf("idle RSS: %s", strings.Join(h.IdleRSS, "; "))

	r := report.Results{Header: h}
	for _, def := range defs {
		if !o.scenarios[def.id] {
			continue
		}
		r.Scenarios = append(r.Scenarios, runScenario(ctx, o, bins, def))
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if o.scenarios["OTLP"] {
		r.OTLP, r.BaselineOTLP = runOTLPScenario(ctx, o, bins)
	}
	if err := writeResults(o, r); err != nil {
		return err
	}
	log.Printf("done in %s (load average now %s); results in %s", time.Since(started).Round(time.Second), loadAverage(), o.results)
	return nil
}

// prepareBinaries builds what needs building (unless -skip-build) and checks
// that every binary to measure is there.
func prepareBinaries(ctx context.Context, o options) (binaries, error) {
	bins := binaries{
		redline:      filepath.Join(o.root, "bin", "redline"),
		baseline:     o.baselineBin,
		reference:    filepath.Join(o.work, "bin", "otelcol-reference"),
		referenceOCB: filepath.Join(o.work, "bin", "ocb-reference"),
	}
	if o.redlineBin != "" {
		bins.redline = o.redlineBin
	}
	if !o.skipBuild {
		if o.redlineBin == "" {
			if err := buildRedline(ctx, o); err != nil {
				return bins, err
			}
		}
		if err := buildReference(ctx, o, bins); err != nil {
			return bins, err
		}
	}
	for _, b := range []string{bins.redline, bins.baseline, bins.reference} {
		if _, err := os.Stat(b); b != "" && err != nil {
			return bins, fmt.Errorf("binary missing (run without -skip-build): %w", err)
		}
	}
	return bins, nil
}

// runOTLPScenario runs the OTLP load into redline, then into the baseline
// if there is one (nil otherwise).
func runOTLPScenario(ctx context.Context, o options, bins binaries) (redline, baseline *report.OTLP) {
	r := runOTLP(ctx, o, report.Redline, bins.redline, o.redlineConfig)
	if bins.baseline == "" || ctx.Err() != nil {
		return &r, nil
	}
	b := runOTLP(ctx, o, report.Baseline, bins.baseline, o.baselineConfig)
	return &r, &b
}

// renderLastResults rewrites the Markdown from the last run's raw figures.
func renderLastResults(o options) error {
	raw, err := os.ReadFile(resultsJSON(o))
	if err != nil {
		return err
	}
	var r report.Results
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	return writeResults(o, r)
}

func writeResults(o options, r report.Results) error {
	f, err := os.Create(o.results + ".tmp")
	if err != nil {
		return err
	}
	if err := report.Write(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(o.results+".tmp", o.results); err != nil {
		return err
	}
	// The raw figures too, for anyone comparing runs with a script.
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(resultsJSON(o), raw, 0o644)
}

// resultsJSON is where the raw figures go: _work/results.json next to the
// default RESULTS.md, else beside the Markdown asked for (x.md → x.json), so
// a trial run elsewhere does not replace the raw figures of the published one.
func resultsJSON(o options) string {
	if o.results == filepath.Join(o.benchDir, "RESULTS.md") {
		return filepath.Join(o.work, "results.json")
	}
	return strings.TrimSuffix(o.results, ".md") + ".json"
}
