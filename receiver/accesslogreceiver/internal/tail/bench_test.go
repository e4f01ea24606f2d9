package tail

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

type countingHandler struct{ lines int }

func (h *countingHandler) Stage(b *Batch) func(context.Context) error {
	n := len(b.Lines)
	return func(context.Context) error {
		h.lines += n
		return nil
	}
}

func (*countingHandler) Commit(context.Context, []Checkpoint) {}

// BenchmarkReadFile measures the tailing alone: a 200,000-line file from
// disk to batches, without parsing.
func BenchmarkReadFile(b *testing.B) {
	const lines = 200_000
	path := filepath.Join(b.TempDir(), "a.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	var size int64
	for i := range lines {
		n, _ := fmt.Fprintf(w, `{"ts":"2026-05-08T09:12:03.412Z","request_id":"%016x","method":"POST","path":"/v1/chat/completions","status":200,"latency_ms":412.7}`+"\n", i)
		size += int64(n)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		h := &countingHandler{}
		tl := New(Config{Include: []string{path}, StartAtBeginning: true}, h)
		for h.lines < lines {
			if _, _, err := tl.Poll(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		_ = tl.Close()
	}
}
