// Package testutil builds test input the way redline's receivers build it.
package testutil // import "github.com/redline-otel/redline/processor/redmetricsprocessor/internal/testutil"

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/redline-otel/redline/receiver/accesslogreceiver"
)

// LogsFromJSONL reads a file of JSON lines with the accesslog receiver
// itself, its defaults and service.name set, and returns every record it
// delivered in one ResourceLogs, one ScopeLogs per logger in the order the
// loggers first appear: the same records, whatever batches the receiver cut.
func LogsFromJSONL(path, serviceName string) (plog.Logs, error) {
	want, err := nonEmptyLines(path)
	if err != nil {
		return plog.Logs{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return plog.Logs{}, err
	}
	f := accesslogreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*accesslogreceiver.Config)
	cfg.Include = []string{abs}
	cfg.StartAt = accesslogreceiver.StartAtBeginning
	cfg.PollInterval = 10 * time.Millisecond
	cfg.ForceFlushPeriod = 50 * time.Millisecond
	cfg.Resource = map[string]any{"service.name": serviceName}
	sink := new(consumertest.LogsSink)
	ctx := context.Background()
	rcv, err := f.CreateLogs(ctx, receivertest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		return plog.Logs{}, err
	}
	if err := rcv.Start(ctx, componenttest.NewNopHost()); err != nil {
		return plog.Logs{}, err
	}
	for deadline := time.Now().Add(10 * time.Second); sink.LogRecordCount() < want && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if err := rcv.Shutdown(ctx); err != nil {
		return plog.Logs{}, err
	}
	if got := sink.LogRecordCount(); got != want {
		return plog.Logs{}, fmt.Errorf("%s: the receiver delivered %d records of %d lines", path, got, want)
	}
	return mergeByScope(sink.AllLogs()), nil
}

// mergeByScope moves the records of every batch into one ResourceLogs (the
// first batch's resource), one ScopeLogs per scope name. The observed time,
// the moment the receiver read the line, is cleared so goldens can hold the
// records.
func mergeByScope(batches []plog.Logs) plog.Logs {
	out := plog.NewLogs()
	rl := out.ResourceLogs().AppendEmpty()
	scopes := map[string]plog.LogRecordSlice{}
	for i, ld := range batches {
		for j := 0; j < ld.ResourceLogs().Len(); j++ {
			src := ld.ResourceLogs().At(j)
			if i == 0 && j == 0 {
				src.Resource().CopyTo(rl.Resource())
			}
			for k := 0; k < src.ScopeLogs().Len(); k++ {
				sl := src.ScopeLogs().At(k)
				records, ok := scopes[sl.Scope().Name()]
				if !ok {
					dst := rl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(dst.Scope())
					records = dst.LogRecords()
					scopes[sl.Scope().Name()] = records
				}
				for r := 0; r < sl.LogRecords().Len(); r++ {
					sl.LogRecords().At(r).SetObservedTimestamp(0)
				}
				sl.LogRecords().MoveAndAppendTo(records)
			}
		}
	}
	return out
}

func nonEmptyLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			n++
		}
	}
	return n, sc.Err()
}
