package accesslogreceiver

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
)

const (
	killChildEnv = "ACCESSLOG_KILL_CHILD_DIR"
	killLines    = 3000
	killBatch    = 20
)

// TestKilledMidStream runs a receiver in a child process (this test binary),
// kills it with SIGKILL while it delivers, then resumes in this process on
// the same file_storage directory: every line arrives, and only lines of the
// batch in flight can arrive twice.
func TestKilledMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.jsonl")
	writeLines(t, logPath, 0, killLines)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "storage"), 0o700))
	outPath := filepath.Join(dir, "delivered.txt")

	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.v")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	var childOut strings.Builder
	cmd.Stdout, cmd.Stderr = &childOut, &childOut
	require.NoError(t, cmd.Start())
	waitFor(t, "the child to deliver part of the file", func() bool {
		return len(readDelivered(t, outPath)) >= killLines/5
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	before := readDelivered(t, outPath)
	require.Less(t, len(before), killLines, "killed mid-stream; child output:\n%s", childOut.String())

	host := newTestHost()
	ext := startFileStorage(t, host, filepath.Join(dir, "storage"))
	defer mustShutdown(t, ext)
	sink := &lineSink{}
	cfg := killConfig(logPath)
	r := newTestReceiver(t, cfg, sink, fixedSettings())
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "the rest", func() bool { return len(before)+sink.count() >= killLines })
	time.Sleep(3 * cfg.PollInterval) // anything more would be a repeat
	mustShutdown(t, r)

	after := seqs(t, sink)
	counts := make(map[int64]int, killLines)
	for _, s := range before {
		counts[s]++
	}
	for _, s := range after {
		counts[s]++
	}
	dups := 0
	for i := range int64(killLines) {
		require.Positive(t, counts[i], "line %d lost", i)
		dups += counts[i] - 1
	}
	assert.LessOrEqual(t, dups, killBatch, "only the batch in flight may repeat")
	assert.Greater(t, len(before), 0)
	t.Logf("child delivered %d, resumed run %d, repeated %d", len(before), len(after), dups)
}

func killConfig(path string) *Config {
	cfg := testConfig(path)
	cfg.Storage = &fileStorageID
	cfg.MaxBatchSize = killBatch
	return cfg
}

// readDelivered reads the seq numbers the child wrote, ignoring a last line
// cut by the kill.
func readDelivered(t *testing.T, path string) []int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out []int64
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasSuffix(line, ";") {
			continue // cut by the kill
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(line, ";"), 10, 64)
		require.NoError(t, err)
		out = append(out, n)
	}
	return out
}

// TestKillChild is the child of TestKilledMidStream; it does nothing unless
// started by it.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(killChildEnv)
	if dir == "" {
		t.Skip("only runs as TestKilledMidStream's child process")
	}
	out, err := os.OpenFile(filepath.Join(dir, "delivered.txt"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	var mu sync.Mutex
	// A slow consumer that has "accepted" a batch once it is written down.
	next, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		mu.Lock()
		defer mu.Unlock()
		var b strings.Builder
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					v, _ := lrs.At(k).Attributes().Get("seq")
					fmt.Fprintf(&b, "%d;\n", v.Int())
				}
			}
		}
		if _, err := out.WriteString(b.String()); err != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
		return nil
	})
	require.NoError(t, err)
	host := newTestHost()
	startFileStorage(t, host, filepath.Join(dir, "storage"))
	r := newTestReceiver(t, killConfig(filepath.Join(dir, "access.jsonl")), next, fixedSettings())
	require.NoError(t, r.Start(context.Background(), host))
	time.Sleep(time.Minute) // until killed
	t.Error("the parent should have killed this process")
}
