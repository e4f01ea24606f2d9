//go:build system

package system

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
)

// Upgrade safety: the state a v0.158.0 build left on disk (the accesslog
// receiver's checkpoints and a non-empty persistent sending queue of the otlp
// exporter, both in file_storage through storage_guard) is taken over by the
// binary under test. The state is a checked-in fixture, written by the old
// build itself (REDLINE_UPGRADE_REGENERATE, see the fixture's README.md), so
// that CI needs neither the old build nor the network.

const (
	// upgradeFixtureDir holds the old build's state: logs/, storage/ and
	// manifest.json.
	upgradeFixtureDir = "testdata/upgrade-v0.158.0"
	// upgradeOldCollector is the collector version of the build that must
	// write the fixture.
	upgradeOldCollector = "v0.158.0"
	// upgradeGlob and upgradeStorage are relative to redline's working
	// directory, in both phases: the checkpoints record the paths the glob
	// yields (logs/checkout.jsonl), so the files are found under the very
	// names the old build saved, as on a host upgraded in place, wherever the
	// test's temporary directory is.
	upgradeGlob    = "logs/*.jsonl"
	upgradeStorage = "storage"
	// upgradeRegenerateEnv names the old binary that rewrites the fixture.
	upgradeRegenerateEnv = "REDLINE_UPGRADE_REGENERATE"
	// Lines the old build writes: delivered while the sink is up, then left
	// in its persistent queue while the sink is down. Small, to keep the
	// fixture small (its README gives the sizes).
	upgradeDelivered    = 400
	upgradeQueued       = 300
	upgradeQueuedWrites = 15
)

// upgradeServices are the services whose logs are tailed, one file each,
// logs/<service>.jsonl; line seq goes to file seq % 2.
var upgradeServices = []string{"checkout", "search"}

// upgradeEpoch is the timestamp of line 0; line seq is 10 ms × seq later.
var upgradeEpoch = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// upgradeManifest describes the fixture: what the old build was given, what
// the sink received from it, and what it left on disk.
type upgradeManifest struct {
	Comment    string `json:"comment"`
	OldBuild   string `json:"old_build"` // the collector module and version compiled into the old binary
	Generated  string `json:"generated"`
	Glob       string `json:"glob"`        // REDLINE_ACCESS_LOG_GLOB, relative to redline's working directory
	StorageDir string `json:"storage_dir"` // REDLINE_STORAGE_DIR, likewise
	// Written is the number of lines the old phase wrote: seq [0, Written).
	Written int64 `json:"written"`
	// Delivered holds the [lo, hi) ranges of seq the sink received from the
	// old build, each exactly once.
	Delivered [][2]int64 `json:"delivered"`
	// Queued is Written minus Delivered: lines the old build read, saved in
	// its checkpoints as read, and held in its persistent queue at its stop.
	Queued int64 `json:"queued"`
	// QueueSizeAtStop is otelcol_exporter_queue_size of the logs queue just
	// before the SIGTERM (queue requests, not lines; for information).
	QueueSizeAtStop float64 `json:"queue_size_at_stop"`
	// Queues is what the old build's persistent queues held at its stop.
	Queues  map[string]upgradeQueue `json:"queues"`
	Files   []upgradeFile           `json:"files"`
	Storage []upgradeStored         `json:"storage"`
}

// upgradeQueue is a persistent queue's bookkeeping (its "qmv0" key).
type upgradeQueue struct {
	Items      int64  `json:"items"` // log records, spans or metric data points
	ReadIndex  uint64 `json:"read_index"`
	WriteIndex uint64 `json:"write_index"`
	Dispatched int    `json:"dispatched"` // requests taken by a consumer and not finished: sent again after a restart
}

// upgradeFile is one tailed file as the old build left it.
type upgradeFile struct {
	Path   string `json:"path"` // relative to the working directory, as in the checkpoint
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Lines  int64  `json:"lines"`
	// Checkpoint is the offset the old build saved; Dev and Ino are the
	// device and inode it recorded (a copy of the fixture has other ones).
	Checkpoint int64  `json:"checkpoint"`
	Dev        uint64 `json:"dev"`
	Ino        uint64 `json:"ino"`
}

// upgradeStored is one file of the storage directory.
type upgradeStored struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// savedCheckpoint is the part of the accesslog receiver's checkpoint document
// (receiver/accesslogreceiver, key "checkpoints") this test reads.
type savedCheckpoint struct {
	Path           string `json:"path"`
	Offset         int64  `json:"offset"`
	FingerprintLen int    `json:"fp_len"`
	Dev            uint64 `json:"dev"`
	Ino            uint64 `json:"ino"`
}

// upgradeLine renders line seq: ~170 bytes, the same on every run.
func upgradeLine(seq int64) []byte {
	ts := upgradeEpoch.Add(time.Duration(seq) * 10 * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	return fmt.Appendf(nil,
		`{"ts":"%s","level":"info","msg":"rpc completed","service":"%s","method":"%s","status_code":"%s","duration_ms":%d.%d,"seq":%d}`+"\n",
		ts, upgradeServices[seq%int64(len(upgradeServices))], methods[seq%int64(len(methods))],
		statusCode[seq%int64(len(statusCode))], seq%200, seq%10, seq)
}

func upgradeLogPath(i int) string { return filepath.Join("logs", upgradeServices[i]+".jsonl") }

// upgradeWriter appends lines seq next, next+1, ... to the files under dir.
type upgradeWriter struct {
	dir  string
	next int64
}

func (w *upgradeWriter) write(n int) error {
	bufs := make([][]byte, len(upgradeServices))
	for seq := w.next; seq < w.next+int64(n); seq++ {
		i := seq % int64(len(upgradeServices))
		bufs[i] = append(bufs[i], upgradeLine(seq)...)
	}
	for i, b := range bufs {
		if len(b) == 0 {
			continue
		}
		f, err := os.OpenFile(filepath.Join(w.dir, upgradeLogPath(i)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	w.next += int64(n)
	return nil
}

func (w *upgradeWriter) written() int64 { return w.next }

// upgradeEnv is the environment both builds run with, besides the harness's:
// no RED flush during a phase (its points would only add to the queue), and
// the exporter that sends to the sink by the name given (the old build knows
// only otlp).
func upgradeEnv(exporter string) map[string]string {
	return map[string]string{
		"REDLINE_RED_FLUSH_INTERVAL": "1h",
		"REDLINE_EXPORTER":           exporter,
		"REDLINE_EXPORTERS":          "[" + exporter + "]",
	}
}

// upgradeExporters are the names the new build may send to the sink by: the
// former one keeps the old build's queue file as it is; the current one
// (sinkExporter) takes it over through storage_guard, as a user who follows
// the collector's rename does.
var upgradeExporters = []string{formerOTLPExporter, sinkExporter}

// formerOTLPExporter is the OTLP/gRPC exporter's name before collector
// v0.165.0, the only one the old build knows.
const formerOTLPExporter = "otlp"

// 13. Upgrade from v0.158.0: checkpoints and a non-empty persistent queue
// written by the v0.158.0 build are honoured by the binary under test.
//
// The fixture is copied to a temporary directory and run there under the
// paths the old build saved (relative to the working directory); the copies
// have other inodes, so the restored checkpoints are matched by fingerprint
// (see receiver/accesslogreceiver/internal/tail, findByFingerprint). When the
// fixture is regenerated, the old build's own directory is also taken over
// in place, where the inodes are the recorded ones: the match by inode of an
// upgrade on the same host.
func TestUpgradeFromV0158(t *testing.T) {
	inPlace := ""
	if old := os.Getenv(upgradeRegenerateEnv); old != "" {
		inPlace = regenerateUpgradeFixture(t, old)
	}
	m := readUpgradeManifest(t)
	if inPlace != "" {
		t.Run("in-place", func(t *testing.T) { verifyUpgrade(t, inPlace, m, sinkExporter) })
	}
	for _, exporter := range upgradeExporters {
		t.Run("fixture/"+exporter, func(t *testing.T) {
			work := t.TempDir()
			copyUpgradeFixture(t, work, m)
			verifyUpgrade(t, work, m, exporter)
		})
	}
}

// verifyUpgrade runs the binary under test, with the current configuration,
// on the old build's state in work.
func verifyUpgrade(t *testing.T, work string, m upgradeManifest, exporter string) {
	byInode := countInodeMatches(t, work, m)
	requireNoBorrowedInode(t, work, m)
	run := runNewBuild(t, work, m, exporter)
	reportUpgrade(t, m, byInode, run)
	assertUpgrade(t, work, m, run)
}

// countInodeMatches says how the restored checkpoints will be matched: by
// inode when the file has the inode the old build recorded (in place),
// otherwise by fingerprint, the path breaking ties. Both lead to the saved
// offset.
func countInodeMatches(t *testing.T, work string, m upgradeManifest) int {
	t.Helper()
	byInode := 0
	for _, f := range m.Files {
		if id := fileIDOf(t, filepath.Join(work, f.Path)); id == [2]uint64{f.Dev, f.Ino} {
			byInode++
		}
	}
	return byInode
}

// requireNoBorrowedInode refuses a copy that took the inode another file had
// when the old build saved it: it would be matched to that file's checkpoint,
// which is not an upgrade in place.
func requireNoBorrowedInode(t *testing.T, work string, m upgradeManifest) {
	t.Helper()
	for _, f := range m.Files {
		id := fileIDOf(t, filepath.Join(work, f.Path))
		for _, g := range m.Files {
			require.False(t, g.Path != f.Path && id == [2]uint64{g.Dev, g.Ino},
				"the copy of %s has the device and inode recorded for %s; run again", f.Path, g.Path)
		}
	}
}

// upgradeRun is what the new build did with the old build's state. It is
// gathered in full before any assertion, so that the report has every figure.
type upgradeRun struct {
	whileStopped, whileRunning int // lines appended while no build ran, then while the new one ran
	tl                         tally
	took                       time.Duration
	readByNew                  float64 // log records the new build's receiver accepted
	queueLeft                  float64 // the logs queue's size at the end; -1 if never scraped
	fromQueue                  int     // lines of the old build's queue the sink received
	oldPoints                  int64   // RED points in the old build's metrics queue
	metricPoints               int     // RED points the sink received
	warnings, errs             []string
	grace                      time.Duration
	termErr                    error
	// What the new build left in the storage directory.
	cps            []savedCheckpoint
	cpErr          error
	aside, backups []string
}

// runNewBuild appends lines as a service would during the upgrade, runs the
// binary under test on work until the sink has every line, and stops it.
func runNewBuild(t *testing.T, work string, m upgradeManifest, exporter string) upgradeRun {
	t.Helper()
	s := newSink(t)
	// Seeded with the old build's deliveries, so the tally spans both builds.
	for _, r := range m.Delivered {
		s.recordEarlier(r[0], r[1])
	}

	// Lines written during the upgrade, while no build runs, and then while
	// the new one runs: all after the saved offsets.
	w := &upgradeWriter{dir: work, next: m.Written}
	run := upgradeRun{whileStopped: scaledN(2000), whileRunning: scaledN(2000)}
	require.NoError(t, w.write(run.whileStopped))

	start := time.Now()
	r := startRedline(t, redlineOptions{
		glob: upgradeGlob, storageDir: upgradeStorage, sinkAddr: s.addr, extraEnv: upgradeEnv(exporter), dir: work,
	})
	r.waitReady(30 * time.Second)
	for i := 0; i < 10; i++ {
		require.NoError(t, w.write(run.whileRunning/10))
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, w.write(run.whileRunning%10))
	run.tl = s.waitDelivered(w.written(), time.Minute)
	run.took = time.Since(start)

	run.awaitOldQueues(t, r, s, m, exporter)
	run.warnings, run.errs = logProblems(r.logPath)
	run.grace, run.termErr = r.terminate(shutdownGrace)
	run.readStateLeft(work)
	return run
}

// awaitOldQueues records what the new build read and waits, without failing,
// for the old build's queues to be delivered; the assertions judge the result.
func (run *upgradeRun) awaitOldQueues(t *testing.T, r *redline, s *sink, m upgradeManifest, exporter string) {
	t.Helper()
	fams, err := r.scrapeMetrics()
	require.NoError(t, err)
	run.readByNew = metricSum(fams, "otelcol_receiver_accepted_log_records", map[string]string{"receiver": "accesslog"})
	run.queueLeft = -1.0
	eventually(10*time.Second, 200*time.Millisecond, func() bool {
		if fams, err := r.scrapeMetrics(); err == nil && fams["otelcol_exporter_queue_size"] != nil {
			run.queueLeft = metricSum(fams, "otelcol_exporter_queue_size", map[string]string{"exporter": exporter, "data_type": "logs"})
		}
		return run.queueLeft == 0
	})
	run.fromQueue = s.countIn(m.queuedRanges())
	// The RED points the old build had queued: the only metrics the sink
	// gets before the stop (upgradeEnv keeps the new build from flushing).
	run.oldPoints = m.Queues["metrics"].Items
	if run.oldPoints > 0 {
		eventually(10*time.Second, 200*time.Millisecond, func() bool {
			_, _, points, _ := s.counts()
			return int64(points) >= run.oldPoints
		})
	}
	_, _, run.metricPoints, _ = s.counts()
}

// readStateLeft reads what the new build left in its storage directory: its
// checkpoints, and any database moved aside as damaged or recreated.
func (run *upgradeRun) readStateLeft(work string) {
	run.cps, run.cpErr = readCheckpoints(filepath.Join(work, upgradeStorage))
	run.aside, _ = filepath.Glob(filepath.Join(work, upgradeStorage, "*.corrupt-*"))
	run.backups, _ = filepath.Glob(filepath.Join(work, upgradeStorage, "*.backup"))
}

func reportUpgrade(t *testing.T, m upgradeManifest, byInode int, run upgradeRun) {
	t.Helper()
	report(t, "state of %s (%d lines: %d delivered, %d queued; checkpoints at %s) taken over by %s, files matched by inode %d of %d (else by fingerprint): "+
		"%d+%d lines appended; %s in %s; read by the new build %.0f (expected %d), delivered from the old queue %d of %d; "+
		"queue left %.0f; RED points %d of %d queued; exit %s after SIGTERM; log warnings: %s; errors: %s",
		m.OldBuild, m.Written, m.Written-m.Queued, m.Queued, m.checkpointsString(), collectorVersion(redlineBin(t)),
		byInode, len(m.Files),
		run.whileStopped, run.whileRunning, run.tl, run.took.Round(time.Millisecond), run.readByNew, run.whileStopped+run.whileRunning,
		run.fromQueue, m.Queued, run.queueLeft, run.metricPoints, run.oldPoints, run.grace.Round(time.Millisecond),
		orNone(run.warnings), orNone(run.errs))
}

func assertUpgrade(t *testing.T, work string, m upgradeManifest, run upgradeRun) {
	t.Helper()
	assert.Zero(t, run.tl.lost, "lost (over both builds)")
	assert.Zero(t, run.tl.duplicated, "duplicated (over both builds)")
	assert.Zero(t, run.tl.unexpected, "unexpected sequence numbers")
	assert.Equal(t, m.Queued, int64(run.fromQueue), "every line in the old build's queue delivered")
	assert.InDelta(t, float64(run.whileStopped+run.whileRunning), run.readByNew, 0,
		"the new build reads exactly the lines after the saved offsets")
	assert.Zero(t, run.queueLeft, "the logs queue drained")
	assert.GreaterOrEqual(t, int64(run.metricPoints), run.oldPoints, "the RED points in the old build's metrics queue delivered")
	assert.Empty(t, run.errs, "errors in the new build's log")
	assert.NoError(t, run.termErr, "graceful stop of the new build")
	assert.Empty(t, run.aside, "databases moved aside as damaged by storage_guard")
	assert.Empty(t, run.backups, "databases recreated by file_storage")
	if assert.NoError(t, run.cpErr, "read the new build's checkpoints") {
		assertCheckpointsAtEnd(t, work, m, run.cps)
	}
}

// assertCheckpointsAtEnd checks the new build's checkpoints: one per file,
// under the old paths, each at its file's end.
func assertCheckpointsAtEnd(t *testing.T, work string, m upgradeManifest, cps []savedCheckpoint) {
	t.Helper()
	saved := map[string]int64{}
	for _, cp := range cps {
		saved[cp.Path] = cp.Offset
	}
	for _, f := range m.Files {
		info, err := os.Stat(filepath.Join(work, f.Path))
		require.NoError(t, err)
		assert.Equal(t, info.Size(), saved[f.Path], "the new build's checkpoint of %s is at its end (all: %+v)", f.Path, cps)
	}
	assert.Len(t, cps, len(m.Files), "the new build's checkpoints: one per file, under the old paths (all: %+v)", cps)
}

// recordEarlier counts seq [lo, hi) as received, by a sink of an earlier
// phase, so that the tally covers every phase.
func (s *sink) recordEarlier(lo, hi int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for seq := lo; seq < hi; seq++ {
		s.seen[seq]++
	}
}

// countIn returns how many distinct seq of the ranges the sink received.
func (s *sink) countIn(ranges [][2]int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range ranges {
		for seq := r[0]; seq < r[1]; seq++ {
			if s.seen[seq] > 0 {
				n++
			}
		}
	}
	return n
}

// queuedRanges is the complement of Delivered in [0, Written).
func (m upgradeManifest) queuedRanges() [][2]int64 {
	var out [][2]int64
	next := int64(0)
	for _, r := range m.Delivered {
		if r[0] > next {
			out = append(out, [2]int64{next, r[0]})
		}
		next = r[1]
	}
	if next < m.Written {
		out = append(out, [2]int64{next, m.Written})
	}
	return out
}

func (m upgradeManifest) checkpointsString() string {
	parts := make([]string, 0, len(m.Files))
	for _, f := range m.Files {
		parts = append(parts, fmt.Sprintf("%s:%d", filepath.Base(f.Path), f.Checkpoint))
	}
	return strings.Join(parts, ",")
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "; ")
}

// logProblems returns the distinct warnings and errors of a redline log
// (console encoding: time, level, caller, message, fields), with counts.
func logProblems(path string) (warnings, errs []string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, []string{err.Error()}
	}
	counts := map[string]int{}
	var order []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.SplitN(l, "\t", 5)
		if len(f) < 4 || (f[1] != "warn" && f[1] != "error") {
			continue
		}
		key := f[1] + "\t" + f[3]
		if counts[key] == 0 {
			order = append(order, key)
		}
		counts[key]++
	}
	for _, key := range order {
		level, msg, _ := strings.Cut(key, "\t")
		entry := fmt.Sprintf("%s (x%d)", msg, counts[key])
		if level == "warn" {
			warnings = append(warnings, entry)
		} else {
			errs = append(errs, entry)
		}
	}
	return warnings, errs
}

func readUpgradeManifest(t *testing.T) upgradeManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(upgradeFixtureDir, "manifest.json"))
	require.NoError(t, err, "the upgrade fixture (regenerate it with %s=/path/to/redline-v0.158.0)", upgradeRegenerateEnv)
	var m upgradeManifest
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, upgradeGlob, m.Glob, "the fixture was written with another glob")
	require.Equal(t, upgradeStorage, m.StorageDir, "the fixture was written with another storage directory")
	require.NotEmpty(t, m.Files)
	require.Positive(t, m.Queued, "the fixture's queue is empty: nothing to prove")
	return m
}

// copyUpgradeFixture copies the fixture's files to work, where redline runs,
// and checks that they are the ones the manifest describes.
func copyUpgradeFixture(t *testing.T, work string, m upgradeManifest) {
	t.Helper()
	for _, f := range m.Files {
		size, sum := copyFile(t, filepath.Join(upgradeFixtureDir, f.Path), filepath.Join(work, f.Path))
		require.Equal(t, f.Size, size, "size of %s", f.Path)
		require.Equal(t, f.SHA256, sum, "%s differs from the manifest's", f.Path)
	}
	for _, s := range m.Storage {
		rel := filepath.Join(upgradeStorage, s.Name)
		size, sum := copyFile(t, filepath.Join(upgradeFixtureDir, rel), filepath.Join(work, rel))
		require.Equal(t, s.Size, size, "size of %s", rel)
		require.Equal(t, s.SHA256, sum, "%s differs from the manifest's", rel)
	}
}

// copyFile copies a regular file, creating dst's directory, and returns its
// size and SHA-256.
func copyFile(t *testing.T, src, dst string) (int64, string) {
	t.Helper()
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	require.NoError(t, err)
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
	return n, hex.EncodeToString(h.Sum(nil))
}

func fileIDOf(t *testing.T, path string) [2]uint64 {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	st, ok := info.Sys().(*syscall.Stat_t)
	require.True(t, ok)
	return [2]uint64{uint64(st.Dev), st.Ino} //nolint:unconvert // types differ by platform
}

// readCheckpoints reads the accesslog receiver's checkpoints from its
// database in dir (file_storage names it receiver_accesslog_).
func readCheckpoints(dir string) ([]savedCheckpoint, error) {
	path := filepath.Join(dir, "receiver_accesslog_")
	data, err := readKey(path, "checkpoints")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Files []savedCheckpoint `json:"files"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("checkpoints in %s: %w", path, err)
	}
	return doc.Files, nil
}

// readKey reads key from the bucket file_storage keeps its data in.
func readKey(path, key string) ([]byte, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var data []byte
	err = db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("default"))
		if b == nil {
			return fmt.Errorf("%s has no bucket \"default\"", path)
		}
		v := b.Get([]byte(key))
		if v == nil {
			return fmt.Errorf("%s has no key %q", path, key)
		}
		data = append([]byte(nil), v...)
		return nil
	})
	return data, err
}

// readQueue reads the bookkeeping of the persistent queue in the database at
// path: the PersistentMetadata message of exporterhelper's
// internal/queue/meta.proto, stored under "qmv0".
func readQueue(path string) (upgradeQueue, error) {
	var q upgradeQueue
	data, err := readKey(path, "qmv0")
	if err != nil {
		return q, err
	}
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return q, fmt.Errorf("%s: qmv0: %w", path, protowire.ParseError(n))
		}
		data = data[n:]
		switch {
		case typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(data)
			if n < 0 {
				return q, fmt.Errorf("%s: qmv0: %w", path, protowire.ParseError(n))
			}
			data = data[n:]
			switch num {
			case 1:
				q.Items = int64(v)
			case 3:
				q.ReadIndex = v
			case 4:
				q.WriteIndex = v
			case 5:
				q.Dispatched++
			}
		case typ == protowire.BytesType && num == 5: // packed currently_dispatched_items
			v, n := protowire.ConsumeBytes(data)
			if n < 0 {
				return q, fmt.Errorf("%s: qmv0: %w", path, protowire.ParseError(n))
			}
			data = data[n:]
			q.Dispatched += len(v) / 8
		default:
			n := protowire.ConsumeFieldValue(num, typ, data)
			if n < 0 {
				return q, fmt.Errorf("%s: qmv0: %w", path, protowire.ParseError(n))
			}
			data = data[n:]
		}
	}
	return q, nil
}

// collectorVersion names the otelcol module version compiled into bin.
func collectorVersion(bin string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "unknown collector (" + err.Error() + ")"
	}
	for _, d := range info.Deps {
		if d.Path == "go.opentelemetry.io/collector/otelcol" {
			return "collector " + d.Version
		}
	}
	return "unknown collector"
}

// regenerateUpgradeFixture runs the old build and writes what it leaves on
// disk into the fixture directory:
//
//  1. the sink is up; upgradeDelivered lines are written and delivered;
//  2. the sink stops (unreachable); upgradeQueued more lines are written,
//     read, and accepted into the persistent queue, which cannot send them;
//  3. SIGTERM: the old build stops gracefully, saving its checkpoints and
//     keeping the queue (also what was being retried at the stop).
//
// It then checks that the checkpoints are at the files' ends and copies the
// log files and the storage directory into the fixture with a manifest.
func regenerateUpgradeFixture(t *testing.T, oldBin string) (work string) {
	t.Helper()
	version := collectorVersion(oldBin)
	require.Equal(t, "collector "+upgradeOldCollector, version, "%s must be a build of collector %s", oldBin, upgradeOldCollector)
	work = t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(work, "logs"), 0o755))
	s := newSink(t)
	r := startOldBuild(t, oldBin, work, s.addr)

	w := &upgradeWriter{dir: work}
	delivered := deliverWithSinkUp(t, r, s, w)
	s.stop()
	queueSize := queueWithSinkDown(t, r, w)
	stopOldBuild(t, r, "old build")
	restartOldBuild(t, oldBin, work, s.addr)
	require.Equal(t, delivered, int64(s.distinct()), "the sink received nothing after it stopped")

	m := upgradeManifest{
		Comment: "State left by the old build; written by TestUpgradeFromV0158 with " + upgradeRegenerateEnv +
			" (see README.md). Do not edit: the test checks sizes and hashes.",
		OldBuild:        version,
		Generated:       time.Now().UTC().Format(time.RFC3339),
		Glob:            upgradeGlob,
		StorageDir:      upgradeStorage,
		Written:         w.written(),
		Delivered:       [][2]int64{{0, delivered}},
		Queued:          w.written() - delivered,
		QueueSizeAtStop: queueSize,
	}
	cps := readOldState(t, work, &m)
	replaceUpgradeFixture(t, work, &m, cps)
	t.Logf("fixture regenerated from %s (%s): %d lines, %d delivered, %d queued (queue size %.0f at the stop); queues %+v; storage %+v",
		oldBin, version, m.Written, delivered, m.Queued, queueSize, m.Queues, m.Storage)
	return work
}

// startOldBuild runs the old build in work and waits until it is ready.
func startOldBuild(t *testing.T, oldBin, work, sinkAddr string) *redline {
	t.Helper()
	// The configuration the old build shipped with (config/collector.yaml of
	// its commit), kept beside the state it wrote.
	oldConfig, err := filepath.Abs(filepath.Join(upgradeFixtureDir, "collector.yaml"))
	require.NoError(t, err)
	r := startRedline(t, redlineOptions{
		glob: upgradeGlob, storageDir: upgradeStorage, sinkAddr: sinkAddr, extraEnv: upgradeEnv(formerOTLPExporter),
		dir: work, bin: oldBin, config: oldConfig,
	})
	r.waitReady(30 * time.Second)
	return r
}

// stopOldBuild stops the old build with SIGTERM and requires a clean exit;
// phase prefixes the messages.
func stopOldBuild(t *testing.T, r *redline, phase string) {
	t.Helper()
	_, err := r.terminate(shutdownGrace)
	require.NoError(t, err, phase+": graceful stop")
	require.NoError(t, r.exitErr, phase+": exit status")
}

// deliverWithSinkUp writes upgradeDelivered lines, waits until the sink has
// them all and the exporter counts them as sent, and returns how many.
func deliverWithSinkUp(t *testing.T, r *redline, s *sink, w *upgradeWriter) int64 {
	t.Helper()
	for i := 0; i < 4; i++ {
		require.NoError(t, w.write(upgradeDelivered/4))
		time.Sleep(250 * time.Millisecond)
	}
	tl := s.waitDelivered(w.written(), 30*time.Second)
	require.Zero(t, tl.lost, "old build, sink up: %s", tl)
	require.Zero(t, tl.duplicated, "old build, sink up: %s", tl)
	// The sink answered every export before it stops: nothing in flight.
	require.True(t, eventually(10*time.Second, 100*time.Millisecond, func() bool {
		fams, err := r.scrapeMetrics()
		return err == nil && metricSum(fams, "otelcol_exporter_sent_log_records", map[string]string{"exporter": formerOTLPExporter}) >= float64(w.written())
	}), "old build: the exporter did not count %d lines as sent", w.written())
	return w.written()
}

// queueWithSinkDown writes upgradeQueued lines while the sink is down, waits
// until the receiver has accepted them all, and returns the logs queue's size
// at that point.
func queueWithSinkDown(t *testing.T, r *redline, w *upgradeWriter) float64 {
	t.Helper()
	// Many small writes, a poll apart: more queue requests than the queue
	// has consumers (10), so that the queue holds both requests being sent
	// (retried) and requests not read yet.
	for i := 0; i < upgradeQueuedWrites; i++ {
		require.NoError(t, w.write(upgradeQueued/upgradeQueuedWrites))
		time.Sleep(250 * time.Millisecond)
	}
	var queueSize float64
	require.True(t, eventually(20*time.Second, 100*time.Millisecond, func() bool {
		fams, err := r.scrapeMetrics()
		if err != nil {
			return false
		}
		queueSize = metricSum(fams, "otelcol_exporter_queue_size", map[string]string{"exporter": formerOTLPExporter, "data_type": "logs"})
		return metricSum(fams, "otelcol_receiver_accepted_log_records", map[string]string{"receiver": "accesslog"}) >= float64(w.written())
	}), "old build: the receiver did not accept all %d lines", w.written())
	time.Sleep(time.Second) // past the poll that commits the last offsets
	return queueSize
}

// restartOldBuild runs the old build once more while the sink is still down:
// file_storage compacts every database at start (compaction.on_start), which
// shrinks the fixture to about its live data. The receiver finds its
// checkpoints and reads nothing; the queue takes its items up again and keeps
// them.
func restartOldBuild(t *testing.T, oldBin, work, sinkAddr string) {
	t.Helper()
	r := startOldBuild(t, oldBin, work, sinkAddr)
	time.Sleep(2 * time.Second) // the queue's consumers try to send and fail
	fams, err := r.scrapeMetrics()
	require.NoError(t, err)
	require.Zero(t, metricSum(fams, "otelcol_receiver_accepted_log_records", map[string]string{"receiver": "accesslog"}),
		"old build, restarted: the receiver read lines again")
	stopOldBuild(t, r, "old build, restarted")
}

// readOldState reads the checkpoints and the queues' bookkeeping the old
// build left in work into m, and checks that its logs queue holds exactly
// the undelivered lines.
func readOldState(t *testing.T, work string, m *upgradeManifest) []savedCheckpoint {
	t.Helper()
	cps, err := readCheckpoints(filepath.Join(work, upgradeStorage))
	require.NoError(t, err)
	require.Len(t, cps, len(upgradeServices), "old build's checkpoints: %+v", cps)
	m.Queues = map[string]upgradeQueue{}
	for _, signal := range []string{"logs", "metrics", "traces"} {
		q, err := readQueue(filepath.Join(work, upgradeStorage, "exporter_"+formerOTLPExporter+"__"+signal))
		require.NoError(t, err)
		m.Queues[signal] = q
	}
	require.Equal(t, m.Queued, m.Queues["logs"].Items, "old build's logs queue: %+v", m.Queues["logs"])
	return cps
}

// replaceUpgradeFixture replaces the fixture's state with the old build's
// files in work and writes the manifest, keeping the fixture's README.md,
// collector.yaml and .gitattributes.
func replaceUpgradeFixture(t *testing.T, work string, m *upgradeManifest, cps []savedCheckpoint) {
	t.Helper()
	for _, p := range []string{"logs", "storage", "manifest.json"} {
		require.NoError(t, os.RemoveAll(filepath.Join(upgradeFixtureDir, p)))
	}
	m.Files = copyOldLogs(t, work, cps)
	m.Storage = copyOldStorage(t, work)
	b, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(upgradeFixtureDir, "manifest.json"), append(b, '\n'), 0o644))
}

// copyOldLogs copies the tailed files into the fixture, each required to
// have a checkpoint at its end, and describes them for the manifest.
func copyOldLogs(t *testing.T, work string, cps []savedCheckpoint) []upgradeFile {
	t.Helper()
	var files []upgradeFile
	for i := range upgradeServices {
		rel := upgradeLogPath(i)
		var cp *savedCheckpoint
		for j := range cps {
			if cps[j].Path == rel {
				cp = &cps[j]
			}
		}
		require.NotNil(t, cp, "old build saved no checkpoint for %s: %+v", rel, cps)
		size, sum := copyFile(t, filepath.Join(work, rel), filepath.Join(upgradeFixtureDir, rel))
		require.Equal(t, size, cp.Offset, "old build's checkpoint of %s is not at its end", rel)
		data, err := os.ReadFile(filepath.Join(work, rel))
		require.NoError(t, err)
		files = append(files, upgradeFile{
			Path: rel, Size: size, SHA256: sum, Lines: int64(strings.Count(string(data), "\n")),
			Checkpoint: cp.Offset, Dev: cp.Dev, Ino: cp.Ino,
		})
	}
	return files
}

// copyOldStorage copies the regular files of the storage directory into the
// fixture and describes them for the manifest, sorted by name.
func copyOldStorage(t *testing.T, work string) []upgradeStored {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(work, upgradeStorage))
	require.NoError(t, err)
	var stored []upgradeStored
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		rel := filepath.Join(upgradeStorage, e.Name())
		size, sum := copyFile(t, filepath.Join(work, rel), filepath.Join(upgradeFixtureDir, rel))
		stored = append(stored, upgradeStored{Name: e.Name(), Size: size, SHA256: sum})
	}
	sort.Slice(stored, func(i, j int) bool { return stored[i].Name < stored[j].Name })
	return stored
}
