//go:build system

package system

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileFile writes a file of bad input mixed with good lines. Lines that
// can carry a `seq` attribute through the pipeline (valid JSON objects, even
// with invalid UTF-8 or capped nesting) get consecutive sequence numbers;
// lines the receiver can only send raw (random bytes, JSON nested past the
// parser's limit, lines cut at max_line_size) carry none and are counted.
type hostileFile struct {
	f   *os.File
	rnd *rand.Rand
	buf bytes.Buffer

	seq                                       int64 // lines with a seq attribute
	lines                                     int   // every line, the empty ones included
	random, huge, tooDeep                     int   // sent raw, without seq
	badUTF8, capped, empty, crlf, cardinality int   // subsets of the seq lines, and empty lines
}

func newHostileFile(path string, seed uint64) (*hostileFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &hostileFile{f: f, rnd: rand.New(rand.NewPCG(seed, seed+1))}, nil
}

func (h *hostileFile) flush() error {
	_, err := h.f.Write(h.buf.Bytes())
	h.buf.Reset()
	return err
}

func (h *hostileFile) close() error {
	if err := h.flush(); err != nil {
		return err
	}
	return h.f.Close()
}

func (h *hostileFile) normal() {
	h.buf.Write(line(h.seq, h.rnd))
	h.seq++
	h.lines++
}

// randomBytes: binary garbage without line breaks, starting with a byte that
// no JSON text starts with.
func (h *hostileFile) randomBytes() {
	n := 64 + h.rnd.IntN(4000)
	h.buf.WriteByte(0xff)
	for i := 0; i < n; i++ {
		b := byte(h.rnd.UintN(256))
		if b == '\n' || b == '\r' {
			b = 0
		}
		h.buf.WriteByte(b)
	}
	h.buf.WriteByte('\n')
	h.random++
	h.lines++
}

// invalidUTF8: a JSON object whose strings hold bytes that are not UTF-8.
func (h *hostileFile) invalidUTF8() {
	fmt.Fprintf(&h.buf, "{\"level\":\"warn\",\"msg\":\"caf\xe9 \xff\xfe \xc3\x28 end\",\"note\":\"\xed\xa0\x80\xf8\x88\x80\x80\x80\",\"seq\":%d}\n", h.seq)
	h.seq++
	h.badUTF8++
	h.lines++
}

// nested: an object depth levels deep under "deep".
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

// deepCapped nests past max_nesting_depth (16) but within what the parser
// reads (300): kept, the deep part as JSON text.
func (h *hostileFile) deepCapped() {
	fmt.Fprintf(&h.buf, `{"msg":"deep","seq":%d,"deep":%s}`+"\n", h.seq, nested(64))
	h.seq++
	h.capped++
	h.lines++
}

// deepTooFar nests beyond what the parser reads: sent raw.
func (h *hostileFile) deepTooFar() {
	fmt.Fprintf(&h.buf, `{"msg":"too deep","deep":%s}`+"\n", nested(5000))
	h.tooDeep++
	h.lines++
}

func (h *hostileFile) emptyLine() {
	h.buf.WriteString("\n")
	h.empty++
	h.lines++
}

func (h *hostileFile) crlfLine() {
	l := line(h.seq, h.rnd)
	h.buf.Write(l[:len(l)-1])
	h.buf.WriteString("\r\n")
	h.seq++
	h.crlf++
	h.lines++
}

// hugeLine writes a 10 MiB line, cut by the receiver at max_line_size.
func (h *hostileFile) hugeLine() {
	h.buf.WriteString(`{"msg":"huge","pad":"`)
	h.buf.Write(bytes.Repeat([]byte("0123456789abcdef"), 10*mib/16))
	h.buf.WriteString("\"}\n")
	h.huge++
	h.lines++
}

// distinct writes a request line with its own peer, path and service, for
// the cardinality of the redmetrics and ratelimit processors.
func (h *hostileFile) distinct() {
	n := h.seq
	fmt.Fprintf(&h.buf,
		`{"ts":"%s","level":"info","msg":"request","service":"svc-%s","method":"GET","path":"/v1/objects/obj-%s/parts","peer":"10.%d.%d.%d:%d","status_code":%d,"duration_ms":%.2f,"seq":%d}`+"\n",
		time.Now().UTC().Format(time.RFC3339Nano), strconv.FormatInt(n%5000, 36), strconv.FormatInt(n, 36),
		(n>>16)&0xff, (n>>8)&0xff, n&0xff, 1024+n%50000, []int{200, 404, 500, 503, 499}[n%5], h.rnd.Float64()*500, n)
	h.seq++
	h.cardinality++
	h.lines++
}

// 11. Hostile input through the whole pipeline: binary garbage, 10 MiB
// lines, invalid UTF-8, nesting past every limit, empty and CRLF lines, and
// 100,000 distinct peers, paths and services. redline keeps running, memory
// stays under limit_mib, every good line arrives once, every bad line is
// delivered raw or counted, and the receiver's telemetry counts each kind.
func TestHostileInput(t *testing.T) {
	f := newFixture(t)
	env := memoryEnv()
	// RED metrics flushed every second, so the series the distinct lines
	// create reach the sink within the run.
	env["REDLINE_RED_FLUSH_INTERVAL"] = "1s"
	r := f.start(t, env)
	s := sample(r.pid(), 250*time.Millisecond)
	h, err := newHostileFile(filepath.Join(f.logs, "hostile.jsonl"), 11)
	require.NoError(t, err)

	// A byte order mark at the start of the file, then rounds of the mix.
	h.buf.WriteString("\xef\xbb\xbf")
	h.normal()
	rounds := scaledN(200)
	for i := 0; i < rounds; i++ {
		for j := 0; j < 10; j++ {
			h.normal()
		}
		h.randomBytes()
		h.randomBytes()
		h.invalidUTF8()
		h.invalidUTF8()
		h.deepCapped()
		h.deepTooFar()
		h.emptyLine()
		h.crlfLine()
		if i%max(1, rounds/3) == 0 && h.huge < 3 {
			h.hugeLine()
		}
		require.NoError(t, h.flush())
		time.Sleep(5 * time.Millisecond)
	}
	for i, n := 0, scaledN(100_000); i < n; i++ {
		h.distinct()
		if i%1000 == 999 {
			require.NoError(t, h.flush())
			time.Sleep(10 * time.Millisecond)
		}
	}
	h.normal() // a last good line after all of it
	require.NoError(t, h.close())

	tl := f.sink.waitDelivered(h.seq, 5*time.Minute)
	raw := h.random + h.tooDeep + h.huge
	eventually(time.Minute, 200*time.Millisecond, func() bool {
		noSeq, _, _, _ := f.sink.counts()
		return noSeq >= raw
	})
	eventually(5*time.Second, 200*time.Millisecond, func() bool {
		_, _, points, _ := f.sink.counts()
		return points > 0
	})
	noSeq, noSeqBytes, metricPoints, _ := f.sink.counts()

	// The receiver records its counters once a batch is delivered: wait for
	// the last one.
	var fams = map[string]float64{}
	counted := eventually(time.Minute, 500*time.Millisecond, func() bool {
		m, err := r.scrapeMetrics()
		if err != nil {
			return false
		}
		anomaly := func(a string) float64 {
			return metricSum(m, "otelcol_receiver_accesslog_line_anomalies", map[string]string{"anomaly": a})
		}
		fams["lines_read"] = metricSum(m, "otelcol_receiver_accesslog_lines_read", nil)
		fams["invalid_json"] = metricSum(m, "otelcol_receiver_accesslog_parse_errors", map[string]string{"reason": "invalid_json"})
		fams["not_object"] = metricSum(m, "otelcol_receiver_accesslog_parse_errors", map[string]string{"reason": "not_object"})
		fams["truncated"] = metricSum(m, "otelcol_receiver_accesslog_truncated_lines", nil)
		fams["dropped_empty"] = metricSum(m, "otelcol_receiver_accesslog_records_dropped", map[string]string{"reason": "empty_line"})
		for _, a := range []string{"empty", "crlf", "bom", "invalid_utf8", "invalid_json", "depth_capped", "truncated", "unstructured"} {
			fams["anomaly_"+a] = anomaly(a)
		}
		return fams["lines_read"] >= float64(h.lines)
	})
	_, maxRSS, _ := s.finish()
	peak := maxRSS
	if _, hwm, err := rssBytes(r.pid()); err == nil {
		peak = max(peak, hwm)
	}

	report(t, "%d lines: %d random, %d of 10 MiB, %d invalid UTF-8, %d nested 64 deep, %d nested 5000 deep, %d empty, %d CRLF, %d distinct peers/paths/services; seq lines %s; raw records %d of %d expected (%.1f MiB); counted: lines_read %.0f, invalid_json %.0f, truncated %.0f, invalid_utf8 %.0f, depth_capped %.0f, empty %.0f, crlf %.0f, bom %.0f; RED metric points received %d; peak RSS %.1f MiB (limit %d MiB); running=%v",
		h.lines, h.random, h.huge, h.badUTF8, h.capped, h.tooDeep, h.empty, h.crlf, h.cardinality, tl, noSeq, raw,
		float64(noSeqBytes)/mib, fams["lines_read"], fams["invalid_json"], fams["truncated"], fams["anomaly_invalid_utf8"],
		fams["anomaly_depth_capped"], fams["anomaly_empty"], fams["anomaly_crlf"], fams["anomaly_bom"], metricPoints,
		float64(peak)/mib, memoryLimitMiB, !r.exited())

	require.False(t, r.exited(), "redline exited on hostile input: %v", r.exitErr)
	assert.Zero(t, tl.lost, "good lines lost")
	assert.Zero(t, tl.duplicated, "good lines duplicated")
	assert.Equal(t, raw, noSeq, "bad lines delivered raw (random bytes, nesting past the parser, cut lines)")
	assert.True(t, counted, "lines_read %.0f, want %d", fams["lines_read"], h.lines)
	assert.Equal(t, float64(h.lines), fams["lines_read"], "lines_read")
	// Random bytes are no JSON: format auto keeps each one whole as a text
	// record's body and counts it as unstructured, not as a JSON error.
	assert.Equal(t, float64(h.tooDeep+h.huge), fams["invalid_json"], "parse_errors{reason=invalid_json}: too deep, cut")
	assert.Equal(t, float64(h.random), fams["anomaly_unstructured"], "line_anomalies{anomaly=unstructured}: random bytes")
	assert.Zero(t, fams["not_object"], "parse_errors{reason=not_object}")
	assert.Equal(t, float64(h.huge), fams["truncated"], "truncated_lines")
	assert.Equal(t, float64(h.huge), fams["anomaly_truncated"], "line_anomalies{anomaly=truncated}")
	assert.GreaterOrEqual(t, fams["anomaly_invalid_utf8"], float64(h.badUTF8), "line_anomalies{anomaly=invalid_utf8}")
	assert.Equal(t, float64(h.capped), fams["anomaly_depth_capped"], "line_anomalies{anomaly=depth_capped}")
	assert.Equal(t, float64(h.empty), fams["anomaly_empty"], "line_anomalies{anomaly=empty}")
	assert.Equal(t, float64(h.empty), fams["dropped_empty"], "records_dropped{reason=empty_line}")
	assert.Equal(t, float64(h.crlf), fams["anomaly_crlf"], "line_anomalies{anomaly=crlf}")
	assert.Equal(t, 1.0, fams["anomaly_bom"], "line_anomalies{anomaly=bom}")
	assert.LessOrEqual(t, peak, int64(memoryLimitMiB*mib), "peak RSS against memory_limiter's limit_mib")
}
