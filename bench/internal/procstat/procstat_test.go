package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and a ')' must not shift the fields.
	stat := []byte("4242 (otel col) x) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 75 0 0 20 0 12 0 100 0 0")
	got, err := parseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; got != want {
		t.Fatalf("CPU = %v, want %v (utime 250 + stime 75 ticks)", got, want)
	}
	if _, err := parseStatCPU([]byte("4242 (x) S 1 2")); err == nil {
		t.Fatal("a truncated stat line was accepted")
	}
}

func TestParseStatusMemory(t *testing.T) {
	status := []byte("Name:\tredline\nVmPeak:\t  900000 kB\nVmHWM:\t   71680 kB\nVmRSS:\t   51200 kB\nRssAnon:\t   29000 kB\nRssFile:\t   22200 kB\nThreads:\t12\n")
	rss, hwm, file, err := parseStatusMemory(status)
	if err != nil {
		t.Fatal(err)
	}
	if rss != 51200*1024 || hwm != 71680*1024 || file != 22200*1024 {
		t.Fatalf("rss %d hwm %d file %d, want %d, %d, %d", rss, hwm, file, 51200*1024, 71680*1024, 22200*1024)
	}
	if _, _, _, err := parseStatusMemory([]byte("Name:\tkworker\n")); err == nil {
		t.Fatal("a status without memory lines was accepted")
	}
}

func TestReadSelf(t *testing.T) {
	// Burn CPU until the reading is above zero at its 10 ms resolution (the
	// machine may be busy, so wall time alone does not guarantee it).
	var s Sample
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		for x := 0; x < 1_000_000; x++ {
			_ = x * x
		}
		if s, err = Read(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		if s.CPU > 0 {
			break
		}
	}
	if s.CPU <= 0 || s.RSS <= 0 || s.PeakRSS < s.RSS {
		t.Fatalf("implausible sample of this process: %+v", s)
	}
}
