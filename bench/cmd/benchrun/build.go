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
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/redline-otel/redline/bench/internal/report"
	"github.com/redline-otel/redline/bench/loggen"
)

// binaries are the collectors a run measures, and the ocb that builds the
// reference. baseline is empty when no baseline was asked for.
type binaries struct{ redline, baseline, reference, referenceOCB string }

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

// buildReference builds the contrib reference collector with its own ocb
// (see buildReferenceOCB), once: the binary is kept in _work/bin with the
// SHA-256 of the manifest and of the ocb's go.mod and go.sum, and rebuilt only
// when one of them changes. The build is heavy (all of contrib's filelog,
// redaction, connectors), so it runs niced.
func buildReference(ctx context.Context, o options, bins binaries) error {
	manifest := filepath.Join(o.benchDir, "reference", "builder-config.yaml")
	tools := filepath.Join(o.benchDir, "reference", "tools")
	digest, err := fileDigest(manifest, filepath.Join(tools, "go.mod"), filepath.Join(tools, "go.sum"))
	if err != nil {
		return err
	}
	if upToDate(bins.reference, digest) {
		log.Printf("reference collector up to date (%s)", bins.reference)
		return nil
	}
	if err := buildReferenceOCB(ctx, tools, bins.referenceOCB); err != nil {
		return err
	}
	start := time.Now()
	log.Printf("building the reference collector from %s (a few minutes, niced)", manifest)
	if err := command(ctx, o.benchDir, "nice", "-n", "10", bins.referenceOCB, "--config", manifest, "--skip-compilation").Run(); err != nil {
		return fmt.Errorf("ocb: %w", err)
	}
	// -trimpath as redline's Makefile builds; its -s -w and grpcnotrace are
	// left out here, as the reference's figures have always been measured.
	if err := command(ctx, filepath.Join(o.work, "reference-build"), "nice", "-n", "10", "go", "build", "-trimpath", "-o", bins.reference, ".").Run(); err != nil {
		return fmt.Errorf("go build of the reference: %w", err)
	}
	log.Printf("reference collector built in %s", time.Since(start).Round(time.Second))
	return writeStamp(bins.reference, digest)
}

// buildReferenceOCB builds the ocb the reference is generated with from the
// tools module next to its manifest (reference/tools), which pins it at the
// reference's collector release: ocb refuses a manifest whose otelcol minor
// differs from its own, and the reference stays at the release its targets
// were set against while redline moves on. Cached like the reference.
func buildReferenceOCB(ctx context.Context, tools, bin string) error {
	digest, err := fileDigest(filepath.Join(tools, "go.mod"), filepath.Join(tools, "go.sum"))
	if err != nil {
		return err
	}
	if upToDate(bin, digest) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return err
	}
	log.Printf("building the reference's ocb from %s", tools)
	if err := command(ctx, tools, "nice", "-n", "10", "go", "build", "-o", bin, "go.opentelemetry.io/collector/cmd/builder").Run(); err != nil {
		return fmt.Errorf("build of the reference's ocb: %w", err)
	}
	return writeStamp(bin, digest)
}

// fileDigest is the SHA-256 of the files' contents, one after the other.
func fileDigest(paths ...string) (string, error) {
	h := sha256.New()
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		h.Write(raw)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// upToDate says whether bin exists and its stamp (bin.sha256) holds digest,
// the fileDigest of what it was built from.
func upToDate(bin, digest string) bool {
	got, err := os.ReadFile(bin + ".sha256")
	if err != nil || strings.TrimSpace(string(got)) != digest {
		return false
	}
	_, err = os.Stat(bin)
	return err == nil
}

func writeStamp(bin, digest string) error {
	return os.WriteFile(bin+".sha256", []byte(digest+"\n"), 0o644)
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
		Lines:       o.lines,
		Seed:        o.seed,
		RunsPerSide: o.runs,
		Command:     "make bench-e2e",
		GoVersion:   output(ctx, o.root, "go", "env", "GOVERSION"),
	}
	describeMachine(&h)
	h.LoadAtStart = loadAverage() + " (1, 5, 15 min; the machine is shared, so figures carry its noise)"
	commit := output(ctx, o.root, "git", "rev-parse", "--short", "HEAD")
	if dirty := output(ctx, o.root, "git", "status", "--porcelain", "--untracked-files=no"); dirty != "" && !strings.HasPrefix(dirty, "unknown") {
		commit += " + uncommitted changes"
	}
	h.RedlineCommit = commit
	h.RedlineVersion = describeRedline(ctx, o, bins.redline, o.redlineConfig)
	if bins.baseline != "" {
		h.Baseline = describeRedline(ctx, o, bins.baseline, o.baselineConfig)
	}
	h.Reference = output(ctx, o.root, bins.reference, "--version") + " built by " + ocbVersion(ctx, bins.referenceOCB) +
		" from bench/reference/builder-config.yaml (" + contribRelease(o) + ")"
	return h
}

// describeRedline names a redline binary's version, path and default pipeline.
func describeRedline(ctx context.Context, o options, bin, config string) string {
	return output(ctx, o.root, bin, "--version") + ", binary " + relToRoot(o, bin) + ", default pipeline " + relToRoot(o, config)
}

// relToRoot is p relative to the repository root when it is inside it.
func relToRoot(o options, p string) string {
	if r, err := filepath.Rel(o.root, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// ocbVersion is "ocb v0.158.0" for the ocb at bin (which prints its version
// on stderr).
func ocbVersion(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "version").CombinedOutput()
	if err != nil {
		return "ocb of unknown version (" + err.Error() + ")"
	}
	return strings.Replace(firstLine(out), "ocb version", "ocb", 1)
}

// contribRelease is the contrib release the reference manifest pins, from
// its first contrib module ("contrib v0.158.0").
func contribRelease(o options) string {
	raw, _ := os.ReadFile(filepath.Join(o.benchDir, "reference", "builder-config.yaml"))
	m := regexp.MustCompile(`opentelemetry-collector-contrib/\S+ (v\S+)`).FindSubmatch(raw)
	if m == nil {
		return "contrib release unknown"
	}
	return "contrib " + string(m[1])
}

// describeMachine fills in the cores, CPU model, memory and kernel.
func describeMachine(h *report.Header) {
	h.Cores = runtime.NumCPU()
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
}

// loadAverage is the 1, 5 and 15 minute load averages, as /proc/loadavg has them.
func loadAverage() string {
	la, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(la)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
