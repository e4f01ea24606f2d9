package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redline-otel/redline/bench/internal/redlineenv"
	"github.com/redline-otel/redline/bench/internal/report"
)

// sink is the last component of the logs pipeline: a run is complete when it
// has consumed every line (otelcol_<kind>_consumed_items with signal logs,
// from the telemetry.newPipelineTelemetry feature gate).
type sink struct {
	kind string // exporter or connector
	id   string
}

// sideDef is how one collector runs one scenario.
type sideDef struct {
	configs  []string // --config arguments: files, or yaml: snippets merged over them
	env      []string // extra environment, on top of the per-run one
	sink     sink
	describe string
	// unavailable says why this side cannot run the scenario, if it cannot.
	unavailable string
}

type scenarioDef struct {
	id, title string
	redline   sideDef
	// baseline is how the baseline binary runs the scenario: as redline
	// does, but with its own default configuration in D.
	baseline  sideDef
	reference sideDef
	target    report.Target
}

func scenarioDefs(o options, input string) []scenarioDef {
	scen := filepath.Join(o.benchDir, "scenarios")
	telemetry := filepath.Join(scen, "telemetry.yaml")
	side := func(collector, file string, s sink, describe string) sideDef {
		return sideDef{configs: []string{filepath.Join(scen, collector, file), telemetry}, sink: s, describe: describe}
	}
	nop := sink{"exporter", "nop"}
	defs := []scenarioDef{
		{
			id: "A", title: "tail + parse",
			redline:   side("redline", "a.yaml", nop, "accesslog (start_at beginning) → batch → nop"),
			reference: side("reference", "a.yaml", nop, "file_log + json_parser and the operators that map a line as accesslog does (timestamp, severity, scope, body, Astrocyte's msg lifted) → batch → nop"),
			target:    report.Target{MaxCPURatio: 1.0 / 4, MaxRSSRatio: 0.5},
		},
		{
			id: "B", title: "+ mask vs redaction",
			redline:   side("redline", "b.yaml", nop, "accesslog → mask (default rules) → batch → nop"),
			reference: side("reference", "b.yaml", nop, "file_log + json_parser → redaction (equivalent key and value rules) → batch → nop"),
			target:    report.Target{MaxCPURatio: 1.0 / 10},
		},
		{
			id: "C", title: "+ RED metrics",
			redline:   side("redline", "c.yaml", sink{"connector", "redmetrics"}, "accesslog → batch → redmetrics connector (requests and duration histograms per service, operation, status class) → nop"),
			reference: side("reference", "c.yaml", sink{"connector", "count"}, "file_log + json_parser → batch → count connector (per service, category, status) → nop"),
			target:    report.Target{MaxCPURatio: 1.0 / 4},
		},
	}
	d := scenarioDef{
		id: "D", title: "full default pipeline",
		reference: side("reference", "d.yaml", nop, "file_log with file_storage checkpoints + json_parser → memory_limiter → redaction → batch → nop, and → count connector → batch → nop"),
		target:    report.Target{MinLinesPerSec: 300_000},
	}
	d.redline = defaultPipeline(o.redlineConfig, input, telemetry)
	d.redline.describe = "config/collector.yaml as shipped (accesslog with file_storage checkpoints → memory_limiter → mask → redmetrics → redmetrics connector and forward → ratelimit → exporter), with REDLINE_EXPORTER=nop, the accesslog receiver(s) pointed at the input from the beginning, and REDLINE_RATE_LIMIT_PER_SECOND=1e9"
	return withBaselineSides(o, append(defs, d), input, telemetry)
}

// withBaselineSides gives every scenario the baseline's side: redline's
// configuration run by the baseline binary, except in D, which runs the
// baseline's own default configuration (an older binary may lack components
// the current config/collector.yaml names).
func withBaselineSides(o options, defs []scenarioDef, input, telemetry string) []scenarioDef {
	for i := range defs {
		defs[i].baseline = defs[i].redline
		defs[i].baseline.describe = "redline's configuration, run by the baseline binary"
		if defs[i].id == "D" && o.baselineBin != "" {
			defs[i].baseline = defaultPipeline(o.baselineConfig, input, telemetry)
			defs[i].baseline.describe = "as redline's, with " + relToRoot(o, o.baselineConfig) + " as the default pipeline"
		}
	}
	return defs
}

// defaultPipeline runs a redline default configuration (config/collector.yaml
// or the baseline's) as scenario D does: the run's settings merged over it,
// the accesslog receivers reading the input from its start, and the rate
// limit lifted. Rate limiting is part of the default pipeline, but its
// default rate would turn a throughput test into a test of the limit: the
// bucket logic still runs, with a rate no run reaches.
func defaultPipeline(cfg, input, telemetry string) sideDef {
	s := redlineDefault(cfg, input, telemetry)
	s.env = append(s.env, redlineenv.UnlimitedRate)
	return s
}

// redlineDefault runs a redline default configuration (cfg) itself, with the
// run's settings merged over it: the accesslog receivers read the input from
// its start.
func redlineDefault(cfg, input, telemetry string) sideDef {
	// REDLINE_EXPORTER=nop (set for every run) needs a nop exporter
	// configured; merging an empty one is harmless when the file has it.
	s := sideDef{configs: []string{cfg, telemetry, "yaml:exporters::nop: {}"}, sink: sink{"exporter", "nop"}}
	ids := receiversOfType(cfg, "accesslog")
	if len(ids) == 0 {
		s.unavailable = cfg + " has no accesslog receiver"
	}
	for _, id := range ids {
		s.configs = append(s.configs,
			fmt.Sprintf("yaml:receivers::%s::include: [%q]", id, input),
			fmt.Sprintf("yaml:receivers::%s::start_at: beginning", id))
	}
	return s
}

// receiversOfType lists the receiver ids of a type ("accesslog",
// "accesslog/app") in a collector configuration.
func receiversOfType(path, typ string) []string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var cfg struct {
		Receivers map[string]any `yaml:"receivers"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return nil
	}
	var ids []string
	for id := range cfg.Receivers {
		if t, _, _ := strings.Cut(id, "/"); t == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}
