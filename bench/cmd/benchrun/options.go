package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type options struct {
	root, benchDir, work string
	input                string // the generated file, once written
	lines                uint64
	runs                 int
	seed                 int64
	scenarios            scenarioSet
	runTimeout           time.Duration
	otlpDuration         time.Duration
	otlpRate             int
	skipBuild            bool
	renderOnly           bool
	redlineBin           string // a redline binary to measure instead of building bin/redline
	redlineConfig        string // redline's default configuration (D and OTLP)
	baselineBin          string // a second redline binary (the previous release, say) measured next to redline
	baselineConfig       string // the baseline's default configuration (D and OTLP)
	results              string
}

// flagEnv names the environment variable that gives each flag its value
// when the flag is not on the command line.
var flagEnv = map[string]string{
	"bench-dir":       "BENCH_DIR",
	"root":            "BENCH_ROOT",
	"lines":           "BENCH_LINES",
	"runs":            "BENCH_RUNS",
	"seed":            "BENCH_SEED",
	"scenarios":       "BENCH_SCENARIOS",
	"run-timeout":     "BENCH_RUN_TIMEOUT",
	"otlp-duration":   "BENCH_OTLP_DURATION",
	"otlp-rate":       "BENCH_OTLP_RATE",
	"skip-build":      "BENCH_SKIP_BUILD",
	"redline-bin":     "BENCH_REDLINE_BIN",
	"redline-config":  "BENCH_REDLINE_CONFIG",
	"baseline-bin":    "BENCH_BASELINE_BIN",
	"baseline-config": "BENCH_BASELINE_CONFIG",
	"results":         "BENCH_RESULTS",
}

// newFlagSet binds every flag to its field of o, with the defaults.
func newFlagSet(o *options) *flag.FlagSet {
	o.lines, o.runs, o.seed, o.otlpDuration, o.otlpRate = 2_000_000, 3, 1, 30*time.Second, 2000
	o.scenarios = scenarioSet{"A": true, "B": true, "C": true, "D": true, "OTLP": true}
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.StringVar(&o.benchDir, "bench-dir", "", "the bench/ folder (scenarios, reference manifest, _work) (BENCH_DIR; default: ./bench from the repository root, else .)")
	fs.StringVar(&o.root, "root", "", "redline's repository root (BENCH_ROOT; default: the parent of -bench-dir)")
	fs.Var((*lineCount)(&o.lines), "lines", "`count` of lines in the generated input (BENCH_LINES)")
	fs.IntVar(&o.runs, "runs", o.runs, "runs per collector per scenario (BENCH_RUNS)")
	fs.Int64Var(&o.seed, "seed", o.seed, "generator seed (BENCH_SEED)")
	fs.Var(&o.scenarios, "scenarios", "comma-separated `list` of the scenarios to run (BENCH_SCENARIOS)")
	fs.DurationVar(&o.runTimeout, "run-timeout", 0, "give up on a run after this long (BENCH_RUN_TIMEOUT; default scales with -lines)")
	fs.DurationVar(&o.otlpDuration, "otlp-duration", o.otlpDuration, "length of the OTLP scenario (BENCH_OTLP_DURATION)")
	fs.IntVar(&o.otlpRate, "otlp-rate", o.otlpRate, "items/s per signal in the OTLP scenario (BENCH_OTLP_RATE)")
	fs.BoolVar(&o.skipBuild, "skip-build", false, "use the existing binaries (BENCH_SKIP_BUILD=1)")
	fs.StringVar(&o.redlineBin, "redline-bin", "", "measure this redline binary instead of building bin/redline (BENCH_REDLINE_BIN)")
	fs.StringVar(&o.redlineConfig, "redline-config", "", "redline's default configuration for D and OTLP (BENCH_REDLINE_CONFIG; default: <root>/config/collector.yaml)")
	fs.StringVar(&o.baselineBin, "baseline-bin", "", "also measure this redline binary (the previous release, say) in every round, next to redline (BENCH_BASELINE_BIN)")
	fs.StringVar(&o.baselineConfig, "baseline-config", "", "the baseline's default configuration for D and OTLP (BENCH_BASELINE_CONFIG; default: redline's)")
	fs.BoolVar(&o.renderOnly, "render-only", false, "only rewrite the Markdown from the raw figures of the last run (_work/results.json)")
	fs.StringVar(&o.results, "results", "", "where to write the Markdown results (BENCH_RESULTS; default: <bench-dir>/RESULTS.md)")
	return fs
}

// parseOptions reads the command line; BENCH_* variables (through getenv)
// stand in for the flags it does not give. wd is the working directory.
func parseOptions(args []string, getenv func(string) string, wd string) (options, error) {
	var o options
	fs := newFlagSet(&o)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	errs := applyEnv(fs, getenv)
	o.resolvePaths(wd)
	errs = append(errs, o.check()...)
	if len(errs) > 0 {
		return o, errors.New(strings.Join(errs, "; "))
	}
	return o, nil
}

// applyEnv sets every flag absent from the command line from its variable,
// if that is set, and returns what did not parse.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) []string {
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		name, ok := flagEnv[f.Name]
		if !ok || explicit[f.Name] || getenv(name) == "" {
			return
		}
		if err := fs.Set(f.Name, getenv(name)); err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: %v", name, getenv(name), err))
		}
	})
	return errs
}

// resolvePaths fills in the default paths and makes every path absolute.
func (o *options) resolvePaths(wd string) {
	if o.benchDir == "" {
		o.benchDir = wd
		if _, err := os.Stat(filepath.Join(wd, "bench", "go.mod")); err == nil {
			o.benchDir = filepath.Join(wd, "bench") // run from the repository root
		}
	}
	o.benchDir = absFrom(wd, o.benchDir)
	if o.root == "" {
		o.root = filepath.Dir(o.benchDir)
	}
	o.root = absFrom(wd, o.root)
	o.work = filepath.Join(o.benchDir, "_work")
	if o.results == "" {
		o.results = filepath.Join(o.benchDir, "RESULTS.md")
	}
	if o.redlineConfig == "" {
		o.redlineConfig = filepath.Join(o.root, "config", "collector.yaml")
	}
	o.redlineConfig = absFrom(wd, o.redlineConfig)
	if o.baselineBin != "" && o.baselineConfig == "" {
		o.baselineConfig = o.redlineConfig
	}
	for _, p := range []*string{&o.redlineBin, &o.baselineBin, &o.baselineConfig} {
		if *p != "" {
			*p = absFrom(wd, *p)
		}
	}
	if o.runTimeout == 0 {
		// Generous: the slowest side (reference, scenario D) ran at 7,500
		// lines/s here while the machine was shared; a hang is caught sooner
		// by the stall check (no progress for a minute).
		o.runTimeout = max(60*time.Second, time.Duration(o.lines/4_000)*time.Second)
	}
}

func absFrom(wd, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(wd, p)
}

// check reports the options that cannot work.
func (o *options) check() []string {
	var errs []string
	if o.runs <= 0 {
		errs = append(errs, fmt.Sprintf("runs %d: want a positive integer", o.runs))
	}
	if o.otlpRate <= 0 {
		errs = append(errs, fmt.Sprintf("otlp-rate %d: want a positive integer", o.otlpRate))
	}
	if o.otlpDuration <= 0 || o.runTimeout < 0 {
		errs = append(errs, "otlp-duration and run-timeout: want positive durations such as 90s")
	}
	if _, err := os.Stat(filepath.Join(o.benchDir, "reference", "builder-config.yaml")); err != nil {
		errs = append(errs, fmt.Sprintf("bench dir %s: %v", o.benchDir, err))
	}
	if o.baselineConfig != "" && o.baselineBin == "" {
		errs = append(errs, "baseline-config without baseline-bin: name the baseline binary too")
	}
	for _, p := range []string{o.baselineBin, o.baselineConfig} {
		if _, err := os.Stat(p); p != "" && err != nil {
			errs = append(errs, fmt.Sprintf("baseline: %v", err))
		}
	}
	return errs
}

// lineCount is the -lines flag: a positive integer, with _ allowed as a
// digit separator (2_000_000).
type lineCount uint64

func (n *lineCount) String() string { return strconv.FormatUint(uint64(*n), 10) }

func (n *lineCount) Set(s string) error {
	v, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || v == 0 {
		return errors.New("want a positive integer")
	}
	*n = lineCount(v)
	return nil
}

// scenarioSet is the -scenarios flag: a comma-separated list of A, B, C, D
// and OTLP, in any case.
type scenarioSet map[string]bool

func (s *scenarioSet) String() string {
	var ids []string
	for _, id := range []string{"A", "B", "C", "D", "OTLP"} {
		if (*s)[id] {
			ids = append(ids, id)
		}
	}
	return strings.Join(ids, ",")
}

func (s *scenarioSet) Set(list string) error {
	set := scenarioSet{}
	for _, id := range strings.Split(list, ",") {
		id = strings.ToUpper(strings.TrimSpace(id))
		switch {
		case id == "":
		case slices.Contains([]string{"A", "B", "C", "D", "OTLP"}, id):
			set[id] = true
		default:
			return fmt.Errorf("scenario %q: want A, B, C, D or OTLP", id)
		}
	}
	*s = set
	return nil
}
