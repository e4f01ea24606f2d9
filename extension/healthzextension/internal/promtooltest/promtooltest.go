// Package promtooltest runs the real `promtool check metrics` over an
// exposition in tests.
package promtooltest // import "github.com/redline-otel/redline/extension/healthzextension/internal/promtooltest"

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Path finds promtool on PATH or in the Debian locations. When it is
// missing the test fails under CI (the pipeline installs the Debian package
// `prometheus`) and is skipped elsewhere.
func Path(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/promtool", "/usr/sbin/promtool", "/usr/local/bin/promtool"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	const msg = "promtool not found on PATH, /usr/bin or /usr/sbin: install it with `apt-get install -y prometheus`"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Check fails the test unless `promtool check metrics` accepts exposition
// without a single lint problem.
func Check(t testing.TB, exposition []byte) {
	t.Helper()
	bin := Path(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s\n--- exposition ---\n%s", err, out, exposition)
	}
}
