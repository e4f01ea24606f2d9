//go:build system

package system

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain starts the figures table of REDLINE_SYSTEM_REPORT (when set and
// still empty) with the machine and the run's settings, so that figures are
// never read without knowing where they were measured.
func TestMain(m *testing.M) {
	if path := os.Getenv("REDLINE_SYSTEM_REPORT"); path != "" {
		if info, err := os.Stat(path); err != nil || info.Size() == 0 {
			header := fmt.Sprintf("Measured %s on %s; REDLINE_SYSTEM_SCALE=%g.\n\n| scenario | figures |\n|---|---|\n",
				time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine(), scale())
			if err := os.WriteFile(path, []byte(header), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "REDLINE_SYSTEM_REPORT:", err)
			}
		}
	}
	os.Exit(m.Run())
}

// machine describes the host: CPU model and count, memory, kernel, load.
func machine() string {
	cpu := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if line, _, ok := strings.Cut(string(b), "\n"); ok {
			mem = strings.Join(strings.Fields(line)[1:], " ")
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	load, _ := os.ReadFile("/proc/loadavg")
	loadFields := strings.Fields(string(load))
	if len(loadFields) > 3 {
		loadFields = loadFields[:3]
	}
	return fmt.Sprintf("%d × %s, %s RAM, Linux %s, load average %s at start",
		runtime.NumCPU(), cpu, mem, strings.TrimSpace(string(kernel)), strings.Join(loadFields, " "))
}
