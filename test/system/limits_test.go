//go:build system

package system

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memoryLimitMiB is memory_limiter's limit_mib in the scenarios that push
// memory (8 and 11), and the bound their RSS is held to. It is below the
// default configuration's 400 MiB so that a breach shows within the run.
const (
	memoryLimitMiB = 256
	memorySpikeMiB = 50
	// memoryOverheadMiB is what RSS holds besides the Go heap: the binary's
	// mapped pages (about 25 MiB), goroutine stacks, runtime structures.
	memoryOverheadMiB = 48
)

// memoryEnv sets memory_limiter's limits and, as the Kubernetes manifests
// do (deploy/kubernetes), GOMEMLIMIT a little under them: memory_limiter
// bounds the Go heap by refusing data, GOMEMLIMIT makes the runtime collect
// before the heap's garbage pushes RSS past the limit.
func memoryEnv() map[string]string {
	return map[string]string{
		"REDLINE_MEMORY_LIMIT_MIB": strconv.Itoa(memoryLimitMiB),
		"REDLINE_MEMORY_SPIKE_MIB": strconv.Itoa(memorySpikeMiB),
		"GOMEMLIMIT":               strconv.Itoa(memoryLimitMiB-memoryOverheadMiB) + "MiB",
	}
}

// otlpSeqBase starts the sequence numbers sent over OTLP, far above those a
// file writer hands out, so both can be tallied apart in one sink.
const otlpSeqBase = int64(1) << 40

// 8. Memory limiter: a burst of 100,000 records/s for 10 s, 80,000/s into a
// file and 20,000/s over OTLP/gRPC. The accesslog receiver back-pressures
// (it reads no further while the pipeline refuses), the OTLP receiver
// refuses and the sender retries; RSS stays under limit_mib and everything
// arrives after the burst.
func TestMemoryLimiter(t *testing.T) {
	f := newFixture(t)
	r := f.start(t, memoryEnv())
	w, err := newSeqWriter(filepath.Join(f.logs, "burst.jsonl"), 8)
	require.NoError(t, err)
	defer w.close()
	sender, err := newOTLPSender(r.otlp, otlpSeqBase)
	require.NoError(t, err)
	defer sender.close()

	s := sample(r.pid(), 250*time.Millisecond)
	burst := scaled(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	otlpDone := make(chan error, 1)
	go func() { otlpDone <- sender.paced(ctx, 20_000, 1000, 4, burst) }()
	start := time.Now()
	require.NoError(t, w.paced(80_000, burst, nil))
	require.NoError(t, <-otlpDone)
	burstTook := time.Since(start)
	burstEnd := time.Now()

	fileRange := [2]int64{0, w.written()}
	otlpRange := [2]int64{otlpSeqBase, otlpSeqBase + sender.written()}
	var fileTl, otlpTl tally
	eventually(10*time.Minute, 500*time.Millisecond, func() bool {
		fileTl = f.sink.tallyRange(0, w.written(), [][2]int64{otlpRange})
		otlpTl = f.sink.tallyRange(otlpSeqBase, sender.written(), [][2]int64{fileRange})
		return (fileTl.lost == 0 && otlpTl.lost == 0) || r.exited()
	})
	time.Sleep(500 * time.Millisecond) // let in-flight duplicates land
	fileTl = f.sink.tallyRange(0, w.written(), [][2]int64{otlpRange})
	otlpTl = f.sink.tallyRange(otlpSeqBase, sender.written(), [][2]int64{fileRange})
	drain := time.Since(burstEnd)
	_, maxRSS, _ := s.finish()
	peak := maxRSS
	if _, hwm, err := rssBytes(r.pid()); err == nil {
		peak = max(peak, hwm)
	}
	fams, err := r.scrapeMetrics()
	require.NoError(t, err, "scrape %s", r.metrics)
	limiterRefused := metricSum(fams, "otelcol_processor_memory_limiter_refused_log_records", nil)
	retries := metricSum(fams, "otelcol_receiver_accesslog_delivery_retries", nil)

	offered := float64(w.written()+sender.written()) / burstTook.Seconds()
	report(t, "burst %.0f records/s for %s (file %d, otlp %d); file: %s; otlp: %s; otlp refusals %d, memory_limiter refused %.0f records, accesslog retries %.0f; peak RSS %.1f MiB (limit %d MiB); all delivered %s after the burst",
		offered, burstTook.Round(time.Millisecond), w.written(), sender.written(), fileTl, otlpTl,
		sender.refusals.Load(), limiterRefused, retries, float64(peak)/mib, memoryLimitMiB, drain.Round(time.Second))
	require.False(t, r.exited(), "redline exited during the burst: %v", r.exitErr)
	assert.Zero(t, fileTl.lost, "file records lost")
	assert.Zero(t, otlpTl.lost, "OTLP records lost")
	assert.Zero(t, fileTl.duplicated, "file records duplicated (no restart in this scenario)")
	assert.LessOrEqual(t, peak, int64(memoryLimitMiB*mib), "peak RSS against memory_limiter's limit_mib")
}

// mountTmpfs mounts a tmpfs of size on dir and unmounts it when the test
// ends. Without the privilege to mount, the test is skipped, unless CI is
// set: there it must run.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a %s tmpfs on %s (%v: %s): the disk-full scenario needs root or CAP_SYS_ADMIN",
			size, dir, err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg + "; skipped because CI is not set")
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s; detaching it lazily", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
}

// freeBytes is the space left for an unprivileged writer on dir's file system.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs(dir, &st))
	return int64(st.Bavail) * int64(st.Bsize)
}

// fill writes a file in dir that leaves about keep bytes free.
func fill(t *testing.T, dir string, keep int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	fh, err := os.Create(path)
	require.NoError(t, err)
	defer fh.Close()
	chunk := make([]byte, 64<<10)
	for freeBytes(t, dir) > keep+int64(len(chunk)) {
		if _, err := fh.Write(chunk); err != nil {
			break // full already: good enough
		}
	}
	return path
}

// usage lists the files of dir with the disk each takes, and the free space
// left: what a full-disk scenario's figures need to be read.
func usage(t *testing.T, dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		alloc := info.Size()
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			alloc = st.Blocks * 512
		}
		fmt.Fprintf(&b, "%s %d KiB, ", e.Name(), alloc>>10)
	}
	fmt.Fprintf(&b, "free %d KiB", freeBytes(t, dir)>>10)
	return b.String()
}

// 9. Disk full: payload captures and the checkpoint and queue storage on
// small tmpfs mounts. Captures fill their disk: redline keeps running and
// delivering, counts the failures and shows payloadcapture degraded on
// /health/components; once space is freed, captures are written again. Then
// the storage disk fills while the backend is down: redline keeps running,
// the accesslog receiver holds its offsets, and after space is freed and the
// backend is back every line arrives.
func TestDiskFull(t *testing.T) {
	f := newFixture(t)
	captures := filepath.Join(f.dir, "captures")
	mountTmpfs(t, f.storage, "16m")
	mountTmpfs(t, captures, "2m")

	r := f.start(t, map[string]string{
		"REDLINE_PAYLOAD_CAPTURE": "true",
		"REDLINE_PAYLOAD_DIR":     captures,
		// The storage disk is 16 MiB and the filler leaves 1 MiB: a 4 MiB
		// reserve (a dozen of the receiver's 1,000-line queue items) makes
		// storage_guard refuse new queue items before the disk is full.
		"REDLINE_STORAGE_MIN_FREE_MIB": "4",
	})
	w, err := newSeqWriter(filepath.Join(f.logs, "access.jsonl"), 9)
	require.NoError(t, err)
	defer w.close()
	// Payloads come over OTLP: the default configuration captures what OTLP
	// senders send (logs/payloads); the same records reach the sink too.
	payloads, err := newOTLPSender(r.otlp, otlpSeqBase)
	require.NoError(t, err)
	defer payloads.close()
	payloads.body = 4096
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	noSpace := map[string]string{"cause": "no_space"}
	var fams = map[string]float64{}
	scrapeInto := func() {
		m, err := r.scrapeMetrics()
		if err != nil {
			return
		}
		fams["failures"] = metricSum(m, "otelcol_exporter_payloadcapture_failures", noSpace)
		fams["written"] = metricSum(m, "otelcol_exporter_payloadcapture_captures_written", nil)
		fams["enqueue_failed"] = metricSum(m, "otelcol_exporter_enqueue_failed_log_records", map[string]string{"exporter": sinkExporter})
		fams["retries"] = metricSum(m, "otelcol_receiver_accesslog_delivery_retries", nil)
		fams["guard_refused"] = metricSum(m, "otelcol_storage_guard_refused_writes", nil)
		fams["guard_no_space"] = metricSum(m, "otelcol_storage_guard_no_space_errors", nil)
	}

	// Phase A: the capture disk fills.
	var captureStatus, captureMessage string
	full := eventually(time.Minute, 100*time.Millisecond, func() bool {
		require.NoError(t, payloads.send(ctx, 20))
		require.NoError(t, w.write(20))
		scrapeInto()
		if h, err := r.components(); err == nil {
			captureStatus, captureMessage = h.statusOf("exporter/payloadcapture")
		}
		return fams["failures"] > 0 && captureStatus == "recoverable_error"
	})
	failuresA := fams["failures"]
	require.False(t, r.exited(), "redline exited when the capture disk filled: %v", r.exitErr)
	assert.True(t, full, "capture disk full: failures{cause=no_space}=%.0f, payloadcapture status %q (%s)",
		failuresA, captureStatus, captureMessage)
	tlA := f.sink.waitDelivered(w.written(), time.Minute)
	assert.Zero(t, tlA.lost, "lines lost while the capture disk was full")

	// Phase B: free the capture disk; captures are written again.
	entries, err := os.ReadDir(captures)
	require.NoError(t, err)
	for _, e := range entries {
		require.NoError(t, os.RemoveAll(filepath.Join(captures, e.Name())))
	}
	writtenBefore := fams["written"]
	recovered := eventually(30*time.Second, 200*time.Millisecond, func() bool {
		require.NoError(t, payloads.send(ctx, 1))
		scrapeInto()
		if h, err := r.components(); err == nil {
			captureStatus, captureMessage = h.statusOf("exporter/payloadcapture")
		}
		return fams["written"] > writtenBefore && captureStatus == "ok"
	})
	assert.True(t, recovered, "captures after space was freed: written %.0f -> %.0f, payloadcapture status %q (%s)",
		writtenBefore, fams["written"], captureStatus, captureMessage)

	// Phase C: the storage disk fills while the backend is down.
	f.sink.stop()
	filler := fill(t, f.storage, 1<<20)
	var health componentsReport
	storageFull := eventually(time.Minute, 100*time.Millisecond, func() bool {
		require.NoError(t, w.write(500))
		scrapeInto()
		health, _ = r.components()
		// A refused item, a receiver retry, or a write that failed for lack
		// of space: each shows the full disk was met.
		return fams["enqueue_failed"] > 0 || fams["retries"] > 0 || fams["guard_refused"] > 0 || fams["guard_no_space"] > 0
	})
	// Keep writing a little while full, so failures repeat.
	for i := 0; i < 20; i++ {
		require.NoError(t, w.write(100))
		time.Sleep(100 * time.Millisecond)
	}
	scrapeInto()
	health, _ = r.components()
	require.False(t, r.exited(), "redline exited when the storage disk filled: %v", r.exitErr)
	assert.True(t, storageFull, "storage full: no enqueue failure, delivery retry, refusal or no-space error counted (enqueue_failed=%.0f retries=%.0f refused=%.0f no_space=%.0f)",
		fams["enqueue_failed"], fams["retries"], fams["guard_refused"], fams["guard_no_space"])
	notOK := health.notOK()
	assert.NotEmpty(t, notOK, "storage full: /health/components shows no component in error (status %q)", health.Status)

	// Phase D: free the storage disk, bring the backend back: everything arrives.
	t.Logf("storage while full: %s", usage(t, f.storage))
	require.NoError(t, os.Remove(filler))
	t.Logf("storage after freeing: %s", usage(t, f.storage))
	f.sink.start(t)
	require.NoError(t, w.write(1000))
	f.sink.waitDelivered(w.written(), 3*time.Minute)
	otlpRange := [2]int64{otlpSeqBase, otlpSeqBase + payloads.written()}
	tl := f.sink.tallyRange(0, w.written(), [][2]int64{otlpRange})
	// waitDelivered waits for the file's lines; OTLP records may land a little later.
	var otlpTl tally
	eventually(time.Minute, 200*time.Millisecond, func() bool {
		otlpTl = f.sink.tallyRange(otlpSeqBase, payloads.written(), [][2]int64{{0, w.written()}})
		return otlpTl.lost == 0
	})
	scrapeInto()
	report(t, "captures: %.0f failures (no_space), recovered=%v, %.0f written; storage full: enqueue failures %.0f, storage_guard refusals %.0f and no-space errors %.0f, accesslog retries %.0f, health %q %v; after freeing: file %s; otlp %s; running=%v",
		failuresA, recovered, fams["written"], fams["enqueue_failed"], fams["guard_refused"], fams["guard_no_space"], fams["retries"], health.Status, notOK, tl, otlpTl, !r.exited())
	require.False(t, r.exited(), "redline exited: %v", r.exitErr)
	assert.Zero(t, tl.lost, "file lines lost")
	assert.Zero(t, otlpTl.lost, "OTLP records lost")

	// Phase E: something else fills the storage disk to the last byte while
	// lines wait in the queue for a backend that is down, then the backend
	// returns: the queue's own bookkeeping may now fail for lack of space,
	// and storage_guard holds the read until space is freed instead of
	// letting the queue drop the item.
	f.sink.stop()
	require.NoError(t, w.write(2000))
	time.Sleep(3 * time.Second) // the receiver reads and enqueues them
	filler = fill(t, f.storage, 0)
	f.sink.start(t)
	time.Sleep(5 * time.Second) // the backend is back while the disk is full
	scrapeInto()
	noSpaceWhileFull := fams["guard_no_space"]
	require.False(t, r.exited(), "redline exited when the storage disk filled to the last byte: %v", r.exitErr)
	require.NoError(t, os.Remove(filler))
	tlE := f.sink.waitDelivered(w.written(), time.Minute)
	report(t, "disk filled to the last byte with 2,000 lines queued: storage_guard no-space errors %.0f; after freeing: file %s; running=%v; storage: %s",
		noSpaceWhileFull, tlE, !r.exited(), usage(t, f.storage))
	assert.Zero(t, tlE.lost, "file lines lost after the disk filled to the last byte:\n%s", r.logTail(40))
}
