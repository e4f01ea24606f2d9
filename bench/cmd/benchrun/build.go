package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/redline-otel/redline/bench/internal/report"
	"github.com/redline-otel/redline/bench/loggen"
)

type binaries struct{ redline, reference string }

func command(ctx context.Context, dir string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	return cmd
}

// buildRedline runs the repository's own build (pinned ocb, then go build);
// make makes it a no-op when nothing changed.
func buildRedline(ctx context.Context, o options) error {
	log.Printf("building redline: make -C %s build", o.root)
	if err := command(ctx, o.root, "make", "build").Run(); err != nil {
		return fmt.Errorf("make build: %w", err)
	}
	return nil
}

// buildReference builds the contrib reference collector with the pinned ocb,
// once: the binary is kept in _work/bin with the SHA-256 of the manifest it
// was built from, and rebuilt only when the manifest changes. The build is
// heavy (all of contrib's filelog, redaction, connectors), so it runs niced.
func buildReference(ctx context.Context, o options, bin string) error {
	manifest := filepath.Join(o.benchDir, "reference", "builder-config.yaml")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	want := hex.EncodeToString(sum[:])
	stamp := bin + ".manifest-sha256"
	if got, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(got)) == want {
		if _, err := os.Stat(bin); err == nil {
			log.Printf("reference collector up to date (%s)", bin)
			return nil
		}
	}
	ocb := filepath.Join(o.root, "bin", "ocb")
	if _, err := os.Stat(ocb); err != nil {
		log.Printf("building the pinned ocb: make -C %s tools", o.root)
		if err := command(ctx, o.root, "make", "tools").Run(); err != nil {
			return fmt.Errorf("make tools: %w", err)
		}
	}
	start := time.Now()
	log.Printf("building the reference collector from %s (a few minutes, niced)", manifest)
	if err := command(ctx, o.benchDir, "nice", "-n", "10", ocb, "--config", manifest, "--skip-compilation").Run(); err != nil {
		return fmt.Errorf("ocb: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return err
	}
	// Same flags as redline's Makefile, so binaries compare like for like.
	if err := command(ctx, filepath.Join(o.work, "reference-build"), "nice", "-n", "10", "go", "build", "-trimpath", "-o", bin, ".").Run(); err != nil {
		return fmt.Errorf("go build of the reference: %w", err)
	}
	log.Printf("reference collector built in %s", time.Since(start).Round(time.Second))
	return os.WriteFile(stamp, []byte(want+"\n"), 0o644)
}

// generateInput writes the input file once per (generator version, seed,
// lines); later runs reuse it.
func generateInput(o options) (string, int64, error) {
	dir := filepath.Join(o.work, "input")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, err
	}
	path := filepath.Join(dir, fmt.Sprintf("access-v%d-seed%d-%d.jsonl", loggen.Version, o.seed, o.lines))
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		log.Printf("input %s (%d lines, %.0f MiB) exists", path, o.lines, float64(st.Size())/(1<<20))
		return path, st.Size(), nil
	}
	// One input at a time: a 2M-line file is half a gigabyte.
	if old, err := filepath.Glob(filepath.Join(dir, "access-*.jsonl*")); err == nil {
		for _, p := range old {
			_ = os.Remove(p)
		}
	}
	start := time.Now()
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return "", 0, err
	}
	n, err := loggen.New(o.seed).WriteN(f, o.lines)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("generate input: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return "", 0, err
	}
	log.Printf("generated %s: %d lines, %.0f MiB in %s", path, o.lines, float64(n)/(1<<20), time.Since(start).Round(time.Millisecond))
	return path, n, nil
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func output(ctx context.Context, dir, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}

// header describes the machine, the binaries and the input for RESULTS.md.
func header(ctx context.Context, o options, bins binaries) report.Header {
	h := report.Header{
		Date:        time.Now(),
		Cores:       runtime.NumCPU(),
		Lines:       o.lines,
		Seed:        o.seed,
		RunsPerSide: o.runs,
		Command:     "make bench-e2e",
		GoVersion:   output(ctx, o.root, "go", "env", "GOVERSION"),
	}
	if cpuinfo, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range bytes.SplitSeq(cpuinfo, []byte{'\n'}) {
			if k, v, ok := strings.Cut(string(line), ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if meminfo, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(firstLine(meminfo), "MemTotal: %d kB", &kb); err == nil {
			h.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = "Linux " + strings.TrimSpace(string(rel))
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(la))
		if len(f) >= 3 {
			h.LoadAtStart = strings.Join(f[:3], " ") + " (1, 5, 15 min; the machine is shared, so figures carry its noise)"
		}
	}
	h.RedlineVersion = output(ctx, o.root, bins.redline, "--version")
	commit := output(ctx, o.root, "git", "rev-parse", "--short", "HEAD")
	if dirty := output(ctx, o.root, "git", "status", "--porcelain", "--untracked-files=no"); dirty != "" && !strings.HasPrefix(dirty, "unknown") {
		commit += " + uncommitted changes"
	}
	h.RedlineCommit = commit
	rel := func(p string) string {
		if r, err := filepath.Rel(o.root, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return p
	}
	h.RedlineVersion += ", binary " + rel(bins.redline) + ", default pipeline " + rel(o.redlineConfig)
	h.Reference = output(ctx, o.root, bins.reference, "--version") +
		" built by ocb v0.158.0 from bench/reference/builder-config.yaml (contrib v0.158.0)"
	return h
}
