package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunSmall runs scenario D in-process on a few thousand lines and checks
// that the run completes and leaves readable profiles.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole collector")
	}
	dir := t.TempDir()
	var out strings.Builder
	err := run(options{
		lines:     3000,
		input:     filepath.Join(dir, "in.jsonl"),
		config:    filepath.Join("..", "..", "..", "config", "collector.yaml"),
		telemetry: filepath.Join("..", "..", "scenarios", "telemetry.yaml"),
		out:       filepath.Join(dir, "out"),
		memRate:   64 * 1024,
		profiles:  true,
		timeout:   2 * time.Minute,
	}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "3000 (3000 consumed by nop)") {
		t.Errorf("unexpected report:\n%s", out.String())
	}
	for _, name := range []string{"cpu.pprof", "allocs-start.pprof", "allocs.pprof", "heap.pprof"} {
		st, err := os.Stat(filepath.Join(dir, "out", name))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v (size %d)", name, err, sizeOf(st))
		}
	}
}

func sizeOf(st os.FileInfo) int64 {
	if st == nil {
		return 0
	}
	return st.Size()
}
