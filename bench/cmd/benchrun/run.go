package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redline-otel/redline/bench/internal/procstat"
	"github.com/redline-otel/redline/bench/internal/redlineenv"
	"github.com/redline-otel/redline/bench/internal/report"
	"github.com/redline-otel/redline/bench/internal/telemetry"
)

// featureGates switches on the collector's per-component item counters
// (otelcol_{receiver,processor,connector,exporter}_{consumed,produced}_items),
// the same in both collectors: core's nop exporter has no telemetry of its
// own, so this is how a collector tells how many records reached its end.
const featureGates = "--feature-gates=telemetry.newPipelineTelemetry"

const pollInterval = 100 * time.Millisecond

// stallLimit ends a run that makes no progress for this long.
const stallLimit = 60 * time.Second

// runEnv is the environment of one run: the bench's variables for the
// scenario files, and redline's own variables so config/collector.yaml binds
// free loopback ports and keeps its state in the run's directory.
type runEnv struct {
	dir           string
	telemetryPort int
	vars          []string
}

func newRunEnv(dir, input string) (runEnv, error) {
	e := runEnv{dir: dir}
	if err := os.RemoveAll(dir); err != nil {
		return e, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return e, err
	}
	ports, err := redlineenv.FreePorts()
	if err != nil {
		return e, err
	}
	e.telemetryPort = ports.Telemetry
	storage := filepath.Join(dir, "storage")
	e.vars = append([]string{
		"BENCH_INPUT=" + input,
		"BENCH_STORAGE_DIR=" + storage,
		"BENCH_TELEMETRY_PORT=" + strconv.Itoa(ports.Telemetry),
	}, redlineenv.Vars(input, storage, filepath.Join(dir, "captures"), ports)...)
	return e, nil
}

func (e runEnv) port(name string) int {
	for _, v := range e.vars {
		if k, val, _ := strings.Cut(v, "="); k == name {
			p, _ := strconv.Atoi(val)
			return p
		}
	}
	return 0
}

func collectorArgs(s sideDef) []string {
	var args []string
	for _, c := range s.configs {
		args = append(args, "--config", c)
	}
	return append(args, featureGates)
}

// validate asks the collector whether it accepts the scenario (all
// components built in, configuration valid) before any run is spent on it.
func validate(ctx context.Context, bin string, s sideDef, env runEnv) error {
	args := append([]string{"validate"}, collectorArgs(s)...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append(os.Environ(), env.vars...), s.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("%s validate: %v: %s", filepath.Base(bin), err, msg)
	}
	return nil
}

// collector is one running collector process.
type collector struct {
	cmd     *exec.Cmd
	logPath string
	metrics string
	client  *http.Client
	exited  chan error
}

func startCollector(ctx context.Context, bin string, s sideDef, env runEnv) (*collector, error) {
	logPath := filepath.Join(env.dir, "collector.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, collectorArgs(s)...)
	cmd.Env = append(append(os.Environ(), env.vars...), s.env...)
	cmd.Dir = env.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	c := &collector{
		cmd:     cmd,
		logPath: logPath,
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", env.telemetryPort),
		client:  &http.Client{Timeout: 2 * time.Second},
		exited:  make(chan error, 1),
	}
	go func() {
		c.exited <- cmd.Wait()
		logf.Close()
	}()
	return c, nil
}

func (c *collector) pid() int { return c.cmd.Process.Pid }

func (c *collector) scrape(ctx context.Context) (telemetry.Families, error) {
	return telemetry.Scrape(ctx, c.client, c.metrics)
}

// stop ends the collector with SIGTERM (it drains), then SIGKILL.
func (c *collector) stop() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// logTail is the end of the collector's log, for error messages.
func (c *collector) logTail() string {
	raw, _ := os.ReadFile(c.logPath)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return strings.Join(lines, " | ")
}

func consumedLogs(f telemetry.Families, s sink) (float64, bool) {
	return f.Sum("otelcol_"+s.kind+"_consumed_items", map[string]string{
		"otel_scope_otelcol_component_id": s.id,
		"otel_scope_otelcol_signal":       "logs",
		"otelcol_component_outcome":       "success",
	})
}

// measure runs one collector until its sink has consumed every line, and
// measures it from its first telemetry answer (the service is built and its
// components are starting) to that moment: wall time and CPU (utime+stime
// from /proc), and the peak RSS (VmHWM) at the end.
func measure(ctx context.Context, o options, bin string, s sideDef, env runEnv) (report.Run, error) {
	r := report.Run{Lines: o.lines}
	c, err := startCollector(ctx, bin, s, env)
	if err != nil {
		return r, err
	}
	defer c.stop()
	t0 := time.Now()
	var (
		t1, lastProgress time.Time
		s1               procstat.Sample
		last             float64
		seen             bool
	)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case err := <-c.exited:
			c.exited <- err
			return r, fmt.Errorf("collector exited early (%v): %s", err, c.logTail())
		case <-tick.C:
		}
		now := time.Now()
		fams, err := c.scrape(ctx)
		if err != nil {
			if t1.IsZero() && now.Sub(t0) > 30*time.Second {
				return r, fmt.Errorf("telemetry endpoint never answered: %v: %s", err, c.logTail())
			}
			continue
		}
		if t1.IsZero() {
			if s1, err = procstat.Read(c.pid()); err != nil {
				return r, err
			}
			t1, lastProgress = now, now
		}
		v, found := consumedLogs(fams, s.sink)
		seen = seen || found
		if v > last {
			last, lastProgress = v, now
		}
		if v >= float64(o.lines) {
			s2, err := procstat.Read(c.pid())
			if err != nil {
				return r, err
			}
			r.Wall, r.CPU, r.PeakRSS = now.Sub(t1), s2.CPU-s1.CPU, s2.PeakRSS
			if v > float64(o.lines) {
				log.Printf("  note: %s consumed %.0f records for %d lines", s.sink.id, v, o.lines)
			}
			return r, nil
		}
		// The peak RSS at a stall or time-out often says why (a memory
		// limiter refusing data, for one).
		peak := func() string {
			if s, err := procstat.Read(c.pid()); err == nil {
				return fmt.Sprintf(", peak RSS %.0f MiB", float64(s.PeakRSS)/(1<<20))
			}
			return ""
		}
		switch {
		case now.Sub(lastProgress) > stallLimit:
			if !seen {
				return r, fmt.Errorf("no otelcol_%s_consumed_items for %s (logs) after %s: is it the pipeline's end?", s.sink.kind, s.sink.id, stallLimit)
			}
			return r, fmt.Errorf("stalled at %.0f of %d records for %s%s", last, o.lines, stallLimit, peak())
		case now.Sub(t0) > o.runTimeout:
			return r, fmt.Errorf("timed out after %s at %.0f of %d records%s", o.runTimeout, last, o.lines, peak())
		}
	}
}

// side is one collector taking part in a scenario.
type side struct {
	collector string // report.Redline, report.Baseline or report.Reference
	bin       string
	def       sideDef
}

// sidesOf lists the collectors that run a scenario: redline, the baseline
// when there is one, and the reference.
func sidesOf(bins binaries, def scenarioDef) []side {
	sides := []side{{report.Redline, bins.redline, def.redline}}
	if bins.baseline != "" {
		sides = append(sides, side{report.Baseline, bins.baseline, def.baseline})
	}
	return append(sides, side{report.Reference, bins.reference, def.reference})
}

// roundOrder is the order the sides run in round (from 0): rotated by one
// every round, so that each collector runs first in turn (with two sides:
// A B, then B A; with three: A B C, B C A, C A B).
func roundOrder(sides []side, round int) []side {
	order := make([]side, 0, len(sides))
	for k := range sides {
		order = append(order, sides[(round+k)%len(sides)])
	}
	return order
}

func runScenario(ctx context.Context, o options, bins binaries, def scenarioDef) report.Scenario {
	out := report.Scenario{ID: def.id, Title: def.title, Redline: def.redline.describe, Reference: def.reference.describe, Target: def.target}
	if bins.baseline != "" {
		out.Baseline = def.baseline.describe
	}
	var runnable []side
	for _, sd := range sidesOf(bins, def) {
		if err := checkSide(ctx, o, def.id, sd); err != nil {
			out.MarkUnavailable(sd.collector, err.Error())
			log.Printf("scenario %s: %s not run: %v", def.id, sd.collector, err)
			continue
		}
		runnable = append(runnable, sd)
	}
	for i := range o.runs {
		for _, sd := range roundOrder(runnable, i) {
			out.Runs = append(out.Runs, runOnce(ctx, o, def.id, sd, i))
			if ctx.Err() != nil {
				return out
			}
		}
	}
	return out
}

// checkSide asks the collector to validate its side of the scenario, which
// fails when a component is not built in or the configuration is invalid.
func checkSide(ctx context.Context, o options, scenario string, sd side) error {
	if sd.def.unavailable != "" {
		return errors.New(sd.def.unavailable)
	}
	env, err := newRunEnv(filepath.Join(o.work, "runs", scenario+"-"+sd.collector+"-validate"), o.input)
	if err != nil {
		return err
	}
	defer os.RemoveAll(env.dir)
	return validate(ctx, sd.bin, sd.def, env)
}

// runOnce measures one run (round i) of one side in a fresh directory, kept
// only when the run fails.
func runOnce(ctx context.Context, o options, scenario string, sd side, i int) report.Run {
	dir := filepath.Join(o.work, "runs", fmt.Sprintf("%s-%s-%d", scenario, sd.collector, i+1))
	env, err := newRunEnv(dir, o.input)
	var run report.Run
	if err == nil {
		run, err = measure(ctx, o, sd.bin, sd.def, env)
	}
	run.Scenario, run.Collector, run.Index, run.Lines = scenario, sd.collector, i, o.lines
	if err != nil {
		run.Err = err.Error()
		log.Printf("scenario %s run %d %s: FAILED: %v (log kept in %s)", scenario, i+1, sd.collector, err, dir)
		return run
	}
	log.Printf("scenario %s run %d %-9s: %6.2f s wall, %8.0f lines/s, %6.2f CPU-s/M lines, peak RSS %5.1f MiB",
		scenario, i+1, sd.collector, run.Wall.Seconds(), run.LinesPerSecond(), run.CPUPerMillion(), float64(run.PeakRSS)/(1<<20))
	_ = os.RemoveAll(dir) // fresh storage for the next run; logs only kept on failure
	return run
}

// idleRSS starts a collector with nothing to read and reports its resident
// memory once it is up: the floor under its peak RSS in every scenario, and
// how much of it is the binary's own file-backed pages.
func idleRSS(ctx context.Context, o options, sd side) string {
	name, bin, s := sd.collector, sd.bin, sd.def
	env, err := newRunEnv(filepath.Join(o.work, "runs", "idle-"+name), filepath.Join(o.work, "runs", "idle-"+name, "none.jsonl"))
	if err == nil && s.unavailable != "" {
		err = errors.New(s.unavailable)
	}
	if err == nil {
		err = validate(ctx, bin, s, env)
	}
	if err != nil {
		return name + ": not measured"
	}
	defer os.RemoveAll(env.dir)
	c, err := startCollector(ctx, bin, s, env)
	if err != nil {
		return name + ": " + err.Error()
	}
	defer c.stop()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(pollInterval) {
		if _, err = c.scrape(ctx); err == nil {
			break
		}
	}
	if err != nil {
		return name + ": telemetry never answered"
	}
	time.Sleep(2 * time.Second) // let start-up settle
	sample, err := procstat.Read(c.pid())
	if err != nil {
		return name + ": " + err.Error()
	}
	return fmt.Sprintf("%s %.0f MiB (%.0f MiB file-backed)", name, float64(sample.RSS)/(1<<20), float64(sample.RSSFile)/(1<<20))
}
