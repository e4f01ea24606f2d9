package masker

import (
	"strings"
	"testing"

	"github.com/redline-otel/redline/internal/cputime"
)

// A 200-byte log message with timestamps, ids, durations and a path: the
// common case, where nothing matches.
var cleanText = func() string {
	s := "2026-05-08T09:12:03.412Z INFO request finished method=POST path=/v1/chat/completions status=200 " +
		"latency_ms=1830.2 request_id=825e53134e178cd1 model=qwen2.5-7b tokens_in=512 tokens_out=128 cached=false ok......"
	return s[:200]
}()

// The same size with an email, a phone number and a query token in it.
var dirtyText = func() string {
	s := "2026-05-08T09:12:03.412Z WARN signup user=alice@example.com phone=+14155552671 " +
		"callback=/v1/cb?token=abc123&x=1 latency_ms=12.5 request_id=825e53134e178cd1 status=429 retry later please thanks, bye now"
	return s[:200]
}()

func BenchmarkMaskText(b *testing.B) {
	m := newMasker(b, nil)
	for _, bc := range []struct{ name, in string }{
		{"clean-200B", cleanText},
		{"pii-200B", dirtyText},
		{"clean-2KB", strings.Repeat(cleanText, 10)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			var st Stats
			cpu0 := cputime.Process()
			for b.Loop() {
				_, _ = m.MaskText(bc.in, &st)
			}
			b.ReportMetric(float64(cputime.Process()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// benchPlainKeys are the 12 ordinary attribute names of the processor's
// no-match record: what most keys cost.
var benchPlainKeys = []string{"http.request.method", "url.path", "http.response.status_code", "service", "method",
	"request_id", "duration_ms", "status_code", "logger", "model", "cached", "ts"}

func BenchmarkClassifyPlainKeys(b *testing.B) {
	m := newMasker(b, nil)
	b.ReportAllocs()
	c0 := cputime.Process()
	for b.Loop() {
		for _, k := range benchPlainKeys {
			_ = m.Classify(k)
		}
	}
	b.ReportMetric(float64(cputime.Process()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkClassifyVocabulary: a secret name in camel case, found in the
// cache (the common case: names repeat) and computed afresh.
func BenchmarkClassifyVocabulary(b *testing.B) {
	m := newMasker(b, nil)
	b.Run("cache-hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = m.Classify("upstreamClientSecret")
		}
	})
	b.Run("computed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = m.names.compute("upstreamClientSecret")
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	m := newMasker(b, nil)
	keys := []string{"http.request.method", "url.path", "peer", "password", "http.request.header.authorization", "service.name"}
	b.ReportAllocs()
	for b.Loop() {
		for _, k := range keys {
			_ = m.Classify(k)
		}
	}
}

func TestBenchInputs(t *testing.T) {
	m := newMasker(t, nil)
	if len(cleanText) != 200 || len(dirtyText) != 200 {
		t.Fatalf("bench inputs must be 200 bytes: %d %d", len(cleanText), len(dirtyText))
	}
	if out, changed := m.MaskText(cleanText, new(Stats)); changed {
		t.Fatalf("clean text changed: %q", out)
	}
	var st Stats
	out, _ := m.MaskText(dirtyText, &st)
	if st.Masked[RuleEmail] != 1 || st.Masked[RulePhone] != 1 || st.Masked[RuleQuery] != 1 {
		t.Fatalf("dirty text: %q %+v", out, st.Masked[:RuleCustom0])
	}
}
