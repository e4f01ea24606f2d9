// Command profile runs redline's default pipeline (scenario D of
// `make bench-e2e`) inside this process, with the distribution's own
// factories, and writes CPU and allocation profiles of the run: the bench's
// answer to "where does the time go" without a pprof extension in the
// distribution.
//
//	cd bench && go run ./cmd/profile -lines 2000000
//	go tool pprof -top _work/profile/cpu.pprof
//	go tool pprof -sample_index=alloc_space -base _work/profile/allocs-start.pprof -top _work/profile/allocs.pprof
//
// The run is scenario D: config/collector.yaml, scenarios/telemetry.yaml,
// REDLINE_EXPORTER=nop, the rate limit at 1e9/s, fresh storage, free
// loopback ports, the accesslog receiver at the input from its beginning. It
// ends when the nop exporter has consumed as many records as the input has
// lines (the same telemetry the runner reads). Profiles and figures cover
// that interval only: from the first answer of the telemetry endpoint to the
// last record.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/otelcol"

	"github.com/redline-otel/redline/bench/internal/procstat"
	"github.com/redline-otel/redline/bench/internal/redlineenv"
	"github.com/redline-otel/redline/bench/internal/telemetry"
	"github.com/redline-otel/redline/bench/loggen"
	"github.com/redline-otel/redline/internal/distribution"
)

func main() {
	log.SetFlags(log.Ltime)
	lines := flag.Int("lines", 2_000_000, "lines in the input (generated with loggen seed 1 when missing)")
	input := flag.String("input", "", "input file (default: _work/input/access-v<version>-seed1-<lines>.jsonl, as bench-e2e names it)")
	config := flag.String("config", "../config/collector.yaml", "redline's default pipeline")
	out := flag.String("out", "_work/profile", "where the profiles and the run's storage go")
	memRate := flag.Int("memprofilerate", 64*1024, "runtime.MemProfileRate: bytes between sampled allocations")
	profiles := flag.Bool("profiles", true, "write profiles; false measures only (no profiling overhead)")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	flag.Parse()
	if *input == "" {
		*input = filepath.Join("_work", "input", fmt.Sprintf("access-v%d-seed1-%d.jsonl", loggen.Version, *lines))
	}
	if !*profiles {
		*memRate = 0
	}
	o := options{lines: *lines, input: *input, config: *config, telemetry: filepath.Join("scenarios", "telemetry.yaml"),
		out: *out, memRate: *memRate, profiles: *profiles, timeout: *timeout}
	if err := run(o, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

type options struct {
	lines                         int
	input, config, telemetry, out string
	memRate                       int
	profiles                      bool
	timeout                       time.Duration
}

func run(o options, w io.Writer) error {
	lines, input, config, telemetryConfig, out, profiles := o.lines, o.input, o.config, o.telemetry, o.out, o.profiles
	runtime.MemProfileRate = o.memRate
	for _, p := range []*string{&input, &config, &telemetryConfig, &out} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if err := ensureInput(input, lines); err != nil {
		return err
	}
	storage := filepath.Join(out, "storage")
	if err := os.RemoveAll(storage); err != nil {
		return err
	}
	if err := os.MkdirAll(storage, 0o755); err != nil {
		return err
	}
	ports, err := redlineenv.FreePorts()
	if err != nil {
		return err
	}
	env := map[string]string{"BENCH_TELEMETRY_PORT": strconv.Itoa(ports.Telemetry)}
	for _, v := range append(redlineenv.Vars(input, storage, filepath.Join(out, "captures"), ports), redlineenv.UnlimitedRate) {
		k, val, _ := strings.Cut(v, "=")
		env[k] = val
	}
	for k, v := range env {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	// The runner passes --feature-gates=telemetry.newPipelineTelemetry:
	// per-component item counters, from which completion is read.
	if err := featuregate.GlobalRegistry().Set("telemetry.newPipelineTelemetry", true); err != nil {
		return err
	}
	uris := []string{
		config,
		telemetryConfig,
		"yaml:exporters::nop: {}",
		fmt.Sprintf("yaml:receivers::accesslog::include: [%q]", input),
		"yaml:receivers::accesslog::start_at: beginning",
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "redline-profile", Description: "redline, profiled in-process", Version: "0.1.0"},
		Factories: distribution.Components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs: uris,
			ProviderFactories: []confmap.ProviderFactory{
				envprovider.NewFactory(), fileprovider.NewFactory(), yamlprovider.NewFactory(),
			},
		}},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- col.Run(ctx) }()
	defer func() {
		col.Shutdown()
		<-done
	}()

	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", ports.Telemetry)
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var (
		started    bool
		t1         time.Time
		cpu1       time.Duration
		ms1        runtime.MemStats
		gc1        float64
		cpuProfile *os.File
	)
	for {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("collector stopped early: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		fams, err := telemetry.Scrape(ctx, client, url)
		if err != nil {
			continue
		}
		now := time.Now()
		if !started {
			// Start of the measured interval, as the runner's.
			started, t1 = true, now
			if profiles {
				if err := writeProfile(filepath.Join(out, "allocs-start.pprof"), "allocs"); err != nil {
					return err
				}
				if cpuProfile, err = os.Create(filepath.Join(out, "cpu.pprof")); err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(cpuProfile); err != nil {
					return err
				}
			}
			runtime.ReadMemStats(&ms1)
			gc1 = gcCPU()
			if cpu1, err = selfCPU(); err != nil {
				return err
			}
		}
		v, _ := fams.Sum("otelcol_exporter_consumed_items", map[string]string{
			"otel_scope_otelcol_component_id": "nop",
			"otel_scope_otelcol_signal":       "logs",
			"otelcol_component_outcome":       "success",
		})
		if v < float64(lines) {
			continue
		}
		wall := now.Sub(t1)
		cpu2, err := selfCPU()
		if err != nil {
			return err
		}
		gc2 := gcCPU()
		var ms2 runtime.MemStats
		runtime.ReadMemStats(&ms2)
		if profiles {
			pprof.StopCPUProfile()
			if err := cpuProfile.Close(); err != nil {
				return err
			}
			if err := writeProfile(filepath.Join(out, "allocs.pprof"), "allocs"); err != nil {
				return err
			}
			if err := writeProfile(filepath.Join(out, "heap.pprof"), "heap"); err != nil {
				return err
			}
		}
		m := float64(lines) / 1e6
		cpu := (cpu2 - cpu1).Seconds()
		fmt.Fprintf(w, "lines              %d (%.0f consumed by nop)\n", lines, v)
		fmt.Fprintf(w, "wall               %.2f s, %.0f lines/s\n", wall.Seconds(), float64(lines)/wall.Seconds())
		fmt.Fprintf(w, "CPU                %.2f s, %.2f CPU-s per million lines\n", cpu, cpu/m)
		fmt.Fprintf(w, "GC CPU (estimate)  %.2f s, %.0f%% of CPU\n", gc2-gc1, 100*(gc2-gc1)/cpu)
		fmt.Fprintf(w, "allocated          %.0f B/line, %.1f allocs/line, %d GC cycles\n",
			float64(ms2.TotalAlloc-ms1.TotalAlloc)/float64(lines), float64(ms2.Mallocs-ms1.Mallocs)/float64(lines), ms2.NumGC-ms1.NumGC)
		if profiles {
			fmt.Fprintf(w, "profiles           %s/{cpu,allocs-start,allocs,heap}.pprof\n", out)
		}
		return nil
	}
}

func writeProfile(path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// selfCPU is this process's utime+stime, as the runner reads a collector's.
func selfCPU() (time.Duration, error) {
	s, err := procstat.Read(os.Getpid())
	return s.CPU, err
}

// gcCPU is the runtime's estimate of the CPU spent in garbage collection.
func gcCPU() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s[0].Value.Float64()
}

func ensureInput(path string, lines int) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	log.Printf("generating %d lines into %s", lines, path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := loggen.New(1).WriteN(f, uint64(lines)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
