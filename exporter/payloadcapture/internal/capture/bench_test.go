package capture

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redline-otel/redline/internal/cputime"
)

// BenchmarkWriteParallel writes from ten goroutines, as the exporter's
// default sending queue does (num_consumers: 10); on a disk whose latency
// dominates, this is the figure that matters.
func BenchmarkWriteParallel(b *testing.B) {
	s := NewStore(b.TempDir(), Options{CreateDirectory: true})
	defer s.Close()
	body := bytes.Repeat([]byte("x"), 10<<10)
	var seq atomic.Int64
	b.SetBytes(2 * int64(len(body)))
	b.ReportAllocs()
	b.SetParallelism(5) // 5 per GOMAXPROCS: 10 writers on the 2-core CI machine
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := &Capture{Meta: Meta{RequestID: "req-" + fmt.Sprint(seq.Add(1)), Time: time.Now()}, Request: body, Response: body}
			if _, err := s.Write(c); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(seq.Load())/time.Since(start).Seconds(), "captures/s")
}

// BenchmarkWrite measures whole captures of 10 KiB request and response
// bodies on local disk; the target is at least 2,000 captures/s with fsync
// off.
func BenchmarkWrite(b *testing.B) {
	for _, fsync := range []bool{false, true} {
		b.Run(fmt.Sprintf("10KiB/fsync=%v", fsync), func(b *testing.B) {
			s := NewStore(b.TempDir(), Options{CreateDirectory: true, Fsync: fsync})
			defer s.Close()
			body := bytes.Repeat([]byte("x"), 10<<10)
			meta := Meta{
				Time: time.Now(), Service: "aistack", Method: "POST", Path: "/v1/audio/transcriptions", Status: 200,
				RequestHeaders: map[string][]string{"content-type": {"audio/mpeg"}, "authorization": {Redacted}},
			}
			b.SetBytes(2 * int64(len(body)))
			b.ReportAllocs()
			i := 0
			start := time.Now()
			cpu := startCPU()
			for b.Loop() {
				c := &Capture{Meta: meta, Request: body, Response: body}
				c.Meta.RequestID = "req-" + fmt.Sprint(i)
				i++
				if _, err := s.Write(c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "captures/s")
			cpu.report(b)
		})
	}
}

// generateTree lays out n capture folders over ten days directly (empty
// bodies, a tiny meta.json), which is much faster than n writes and keeps
// the disk use to the folders' own blocks. Creation is latency-bound, so it
// runs on several goroutines.
func generateTree(b *testing.B, dir string, n int, now time.Time) {
	b.Helper()
	const days, workers = 10, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				date := now.Add(-time.Duration(i%days) * 24 * time.Hour)
				dateDir := filepath.Join(dir, date.UTC().Format(DateLayout))
				c := filepath.Join(dateDir, fmt.Sprintf("%016x", i))
				if err := os.MkdirAll(c, 0o700); err != nil {
					errs <- err
					return
				}
				for _, f := range []string{RequestFile, ResponseFile, MetaFile} {
					if err := os.WriteFile(filepath.Join(c, f), nil, 0o600); err != nil {
						errs <- err
						return
					}
				}
				if err := os.Chtimes(filepath.Join(c, MetaFile), date, date); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkSweepWalk walks 100,000 captures with a policy that removes
// nothing, so every iteration sees the whole tree; the target is under 2 s.
func BenchmarkSweepWalk(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	now := time.Now()
	generateTree(b, dir, n, now)
	s := NewStore(dir, Options{})
	defer s.Close()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		res, err := s.Sweep(now, Policy{MaxAge: 30 * 24 * time.Hour, MaxSize: 1 << 40, TempGrace: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		if res.Captures != n {
			b.Fatalf("walked %d captures, want %d", res.Captures, n)
		}
	}
	cpu.report(b)
}

// cpuClock reports the process CPU time (user + system) per iteration next
// to the wall time: on a shared, overloaded machine the wall figure mostly
// measures the wait for a core.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { return cpuClock{start: time.Duration(cputime.Process())} }

func (c cpuClock) report(b *testing.B) {
	b.Helper()
	b.ReportMetric((time.Duration(cputime.Process())-c.start).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkBareFilesystem does the same file-system work as one Write with
// plain os calls and none of the store's checks (no os.Root, no collision
// lookup, no meta encoding): the floor the disk itself sets, to read the
// Write figures against.
func BenchmarkBareFilesystem(b *testing.B) {
	dir := b.TempDir()
	date := filepath.Join(dir, "2026-05-08")
	if err := os.Mkdir(date, 0o700); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 10<<10)
	meta := bytes.Repeat([]byte("m"), 300)
	b.SetBytes(2 * int64(len(body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tmp := filepath.Join(date, fmt.Sprintf(".~tmp-%d", i))
		if err := os.Mkdir(tmp, 0o700); err != nil {
			b.Fatal(err)
		}
		for _, f := range []struct {
			name string
			data []byte
		}{{RequestFile, body}, {ResponseFile, body}, {MetaFile, meta}} {
			if err := os.WriteFile(filepath.Join(tmp, f.name), f.data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.Rename(tmp, filepath.Join(date, fmt.Sprint(i))); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
