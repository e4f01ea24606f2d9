// Command benchrun is redline's end-to-end bench (make bench-e2e): it builds
// redline and the contrib reference collector, generates one input file, runs
// each scenario on both collectors in turn, several times, measures them from
// the outside (/proc) and from their own telemetry, and writes
// bench/RESULTS.md. See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redline-otel/redline/bench/internal/report"
)

type options struct {
	root, benchDir, work string
	input                string // the generated file, once written
	lines                uint64
	runs                 int
	seed                 int64
	scenarios            map[string]bool
	runTimeout           time.Duration
	otlpDuration         time.Duration
	otlpRate             int
	skipBuild            bool
	renderOnly           bool
	redlineBin           string // a redline binary to measure instead of building bin/redline
	redlineConfig        string // redline's default configuration (D and OTLP)
	results              string
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func parseOptions() (options, error) {
	var o options
	wd, err := os.Getwd()
	if err != nil {
		return o, err
	}
	defBench := wd
	if _, err := os.Stat(filepath.Join(wd, "bench", "go.mod")); err == nil {
		defBench = filepath.Join(wd, "bench") // run from the repository root
	}
	bench := flag.String("bench-dir", envOr("BENCH_DIR", defBench), "the bench/ folder (scenarios, reference manifest, _work)")
	root := flag.String("root", envOr("BENCH_ROOT", ""), "redline's repository root (default: the parent of -bench-dir)")
	lines := flag.String("lines", envOr("BENCH_LINES", "2000000"), "lines in the generated input (BENCH_LINES)")
	runs := flag.Int("runs", 3, "runs per collector per scenario (BENCH_RUNS)")
	seed := flag.Int64("seed", 1, "generator seed (BENCH_SEED)")
	scen := flag.String("scenarios", envOr("BENCH_SCENARIOS", "A,B,C,D,OTLP"), "scenarios to run (BENCH_SCENARIOS)")
	timeout := flag.Duration("run-timeout", 0, "give up on a run after this long (BENCH_RUN_TIMEOUT; default scales with -lines)")
	otlpDur := flag.Duration("otlp-duration", 30*time.Second, "length of the OTLP scenario (BENCH_OTLP_DURATION)")
	otlpRate := flag.Int("otlp-rate", 2000, "items/s per signal in the OTLP scenario (BENCH_OTLP_RATE)")
	skip := flag.Bool("skip-build", false, "use the existing binaries (BENCH_SKIP_BUILD=1)")
	redlineConfig := flag.String("redline-config", envOr("BENCH_REDLINE_CONFIG", ""), "redline's default configuration for D and OTLP (default: <root>/config/collector.yaml) (BENCH_REDLINE_CONFIG)")
	redlineBin := flag.String("redline-bin", envOr("BENCH_REDLINE_BIN", ""), "measure this redline binary instead of building bin/redline (BENCH_REDLINE_BIN)")
	renderOnly := flag.Bool("render-only", false, "only rewrite the Markdown from the raw figures of the last run (_work/results.json)")
	results := flag.String("results", envOr("BENCH_RESULTS", ""), "where to write the Markdown results (default: <bench-dir>/RESULTS.md)")
	flag.Parse()
	// The environment gives defaults; a flag on the command line wins.
	explicit := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	fromEnv := func(name, flagName string) string {
		if explicit[flagName] {
			return ""
		}
		return os.Getenv(name)
	}

	var errs []string
	intEnv := func(name, flagName string, dst *int) {
		if v := fromEnv(name, flagName); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				errs = append(errs, fmt.Sprintf("%s=%q: want a positive integer", name, v))
				return
			}
			*dst = n
		}
	}
	intEnv("BENCH_RUNS", "runs", runs)
	intEnv("BENCH_OTLP_RATE", "otlp-rate", otlpRate)
	if v := fromEnv("BENCH_SEED", "seed"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("BENCH_SEED=%q: want an integer", v))
		}
		*seed = n
	}
	for _, d := range []struct {
		env, flag string
		dst       *time.Duration
	}{{"BENCH_RUN_TIMEOUT", "run-timeout", timeout}, {"BENCH_OTLP_DURATION", "otlp-duration", otlpDur}} {
		name, dst := d.env, d.dst
		if v := fromEnv(d.env, d.flag); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Sprintf("%s=%q: want a positive duration such as 90s", name, v))
				continue
			}
			*dst = d
		}
	}
	if v := fromEnv("BENCH_SKIP_BUILD", "skip-build"); v != "" && v != "0" && v != "false" {
		*skip = true
	}
	n, err := strconv.ParseUint(strings.ReplaceAll(*lines, "_", ""), 10, 64)
	if err != nil || n == 0 {
		errs = append(errs, fmt.Sprintf("lines %q: want a positive integer", *lines))
	}
	o.lines = n
	o.runs, o.seed, o.otlpDuration, o.otlpRate, o.skipBuild = *runs, *seed, *otlpDur, *otlpRate, *skip
	o.benchDir, _ = filepath.Abs(*bench)
	o.root = *root
	if o.root == "" {
		o.root = filepath.Dir(o.benchDir)
	}
	o.root, _ = filepath.Abs(o.root)
	o.work = filepath.Join(o.benchDir, "_work")
	o.results, o.renderOnly = *results, *renderOnly
	if o.results == "" {
		o.results = filepath.Join(o.benchDir, "RESULTS.md")
	}
	o.redlineConfig = *redlineConfig
	if o.redlineConfig == "" {
		o.redlineConfig = filepath.Join(o.root, "config", "collector.yaml")
	}
	o.redlineConfig, _ = filepath.Abs(o.redlineConfig)
	o.redlineBin = *redlineBin
	if o.redlineBin != "" {
		o.redlineBin, _ = filepath.Abs(o.redlineBin)
	}
	o.runTimeout = *timeout
	if o.runTimeout == 0 {
		// Generous: the slowest side (reference, scenario D) ran at 7,500
		// lines/s here while the machine was shared; a hang is caught sooner
		// by the stall check (no progress for a minute).
		o.runTimeout = max(60*time.Second, time.Duration(o.lines/4_000)*time.Second)
	}
	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(*scen, ",") {
		s = strings.ToUpper(strings.TrimSpace(s))
		switch s {
		case "A", "B", "C", "D", "OTLP":
			o.scenarios[s] = true
		case "":
		default:
			errs = append(errs, fmt.Sprintf("scenario %q: want A, B, C, D or OTLP", s))
		}
	}
	if _, err := os.Stat(filepath.Join(o.benchDir, "reference", "builder-config.yaml")); err != nil {
		errs = append(errs, fmt.Sprintf("bench dir %s: %v", o.benchDir, err))
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return o, nil
}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("benchrun: ")
	o, err := parseOptions()
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatal(err)
	}
}

// results is what a run produces, kept as JSON in _work/results.json.
type results struct {
	Header    report.Header
	Scenarios []report.Scenario
	OTLP      *report.OTLP
}

func run(ctx context.Context, o options) error {
	if o.renderOnly {
		raw, err := os.ReadFile(resultsJSON(o))
		if err != nil {
			return err
		}
		var r results
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("results.json: %w", err)
		}
		return writeResults(o, r.Header, r.Scenarios, r.OTLP)
	}
	started := time.Now()
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	bins := binaries{
		redline:   filepath.Join(o.root, "bin", "redline"),
		reference: filepath.Join(o.work, "bin", "otelcol-reference"),
	}
	if o.redlineBin != "" {
		bins.redline = o.redlineBin
	}
	if !o.skipBuild {
		if o.redlineBin == "" {
			if err := buildRedline(ctx, o); err != nil {
				return err
			}
		}
		if err := buildReference(ctx, o, bins.reference); err != nil {
			return err
		}
	}
	for _, b := range []string{bins.redline, bins.reference} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("binary missing (run without -skip-build): %w", err)
		}
	}
	h := header(ctx, o, bins)

	input, size, err := generateInput(o)
	if err != nil {
		return err
	}
	o.input, h.InputBytes = input, size

	defs := scenarioDefs(o, input)
	h.IdleRSS = []string{
		idleRSS(ctx, o, "redline", bins.redline, defs[0].redline),
		idleRSS(ctx, o, "reference", bins.reference, defs[0].reference),
	}
	log.Printf("idle RSS: %s", strings.Join(h.IdleRSS, "; "))

	var scenarios []report.Scenario
	for _, def := range defs {
		if !o.scenarios[def.id] {
			continue
		}
		scenarios = append(scenarios, runScenario(ctx, o, bins, def))
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	var otlp *report.OTLP
	if o.scenarios["OTLP"] {
		r := runOTLP(ctx, o, bins)
		otlp = &r
	}
	if err := writeResults(o, h, scenarios, otlp); err != nil {
		return err
	}
	log.Printf("done in %s; results in %s", time.Since(started).Round(time.Second), o.results)
	return nil
}

func writeResults(o options, h report.Header, scenarios []report.Scenario, otlp *report.OTLP) error {
	f, err := os.Create(o.results + ".tmp")
	if err != nil {
		return err
	}
	if err := report.Write(f, h, scenarios, otlp); err != nil {
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
	raw, err := json.MarshalIndent(results{h, scenarios, otlp}, "", "  ")
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
