//go:build system

package system

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"time"
)

var (
	services   = []string{"Hello", "Ledger", "Stream", "checkout", "search", "auth", "billing", "media"}
	methods    = []string{"sayHello", "getContract", "submit", "watch", "GET /v1/items/{id}", "POST /v1/recall"}
	statusCode = []string{"OK", "OK", "OK", "OK", "NOT_FOUND", "INTERNAL", "RESOURCE_EXHAUSTED", "CANCELLED"}
)

// line renders one access-log line of about 250 bytes carrying seq.
func line(seq int64, rnd *rand.Rand) []byte {
	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	return fmt.Appendf(nil,
		`{"ts":"%s","level":"info","logger":"aster.server","msg":"rpc completed","service":"%s","method":"%s","request_id":"%016x","duration_ms":%.1f,"status_code":"%s","peer":"%016x%016x","seq":%d}`+"\n",
		ts, services[rnd.IntN(len(services))], methods[rnd.IntN(len(methods))], rnd.Uint64(),
		rnd.Float64()*200, statusCode[rnd.IntN(len(statusCode))], rnd.Uint64(), rnd.Uint64(), seq)
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// letters returns n random characters that need no JSON escaping.
func letters(rnd *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rnd.IntN(len(alphabet))]
	}
	return b
}

// seqWriter appends lines with consecutive sequence numbers to a file.
type seqWriter struct {
	path string
	next atomic.Int64
	rnd  *rand.Rand
	f    *os.File
}

func newSeqWriter(path string, seed uint64) (*seqWriter, error) {
	w := &seqWriter{path: path, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	return w, w.reopen()
}

// reopen opens (or creates) w.path for appending; used after a rotation.
func (w *seqWriter) reopen() error {
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	w.f = f
	return err
}

// setPath switches to another file (the daily new file).
func (w *seqWriter) setPath(path string) error {
	w.path = path
	return w.reopen()
}

// write appends n lines in one write call.
func (w *seqWriter) write(n int) error {
	buf := make([]byte, 0, n*260)
	for i := 0; i < n; i++ {
		buf = append(buf, line(w.next.Load()+int64(i), w.rnd)...)
	}
	if _, err := w.f.Write(buf); err != nil {
		return err
	}
	w.next.Add(int64(n))
	return nil
}

func (w *seqWriter) written() int64 { return w.next.Load() }

func (w *seqWriter) close() error { return w.f.Close() }

// paced writes rate lines per second for d, in 10 ms slices, calling between
// (if not nil) after every slice so a scenario can rotate, kill or restart.
func (w *seqWriter) paced(rate int, d time.Duration, between func(elapsed time.Duration) error) error {
	const slice = 10 * time.Millisecond
	start := time.Now()
	perSlice := float64(rate) * slice.Seconds()
	owed := 0.0
	for next := start; time.Since(start) < d; next = next.Add(slice) {
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
		owed += perSlice
		if n := int(owed); n > 0 {
			owed -= float64(n)
			if err := w.write(n); err != nil {
				return err
			}
		}
		if between != nil {
			if err := between(time.Since(start)); err != nil {
				return err
			}
		}
	}
	return nil
}
