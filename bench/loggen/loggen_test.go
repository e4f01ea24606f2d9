package loggen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLineIsDeterministic(t *testing.T) {
	a, b := New(42), New(42)
	for i := uint64(0); i < 2000; i++ {
		if !bytes.Equal(a.Line(i), b.Line(i)) {
			t.Fatalf("line %d differs between two generators of the same seed", i)
		}
	}
	// Lines do not depend on the order they are produced in.
	if !bytes.Equal(a.Line(1234), New(42).Line(1234)) {
		t.Fatal("line 1234 depends on what was generated before it")
	}
	if bytes.Equal(New(1).Line(7), New(2).Line(7)) {
		t.Fatal("different seeds produced the same line")
	}
}

func TestWriteNMatchesLine(t *testing.T) {
	g := New(7)
	var buf bytes.Buffer
	n, err := g.WriteN(&buf, 500)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteN reported %d bytes, wrote %d", n, buf.Len())
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 500 {
		t.Fatalf("got %d lines, want 500", len(lines))
	}
	for i, l := range lines {
		if l != string(g.Line(uint64(i))) {
			t.Fatalf("line %d of WriteN differs from Line(%d)", i, i)
		}
	}
	var tail bytes.Buffer
	if _, err := g.WriteRange(&tail, 490, 10); err != nil {
		t.Fatal(err)
	}
	if got, want := tail.String(), strings.Join(lines[490:], "\n")+"\n"; got != want {
		t.Fatalf("WriteRange(490, 10) differs from lines 490..499 of WriteN")
	}
}

// TestShape checks every line is a JSON object of its seed shape with a
// unique seq, the sizes, and the spread of services, operations, classes and
// things to mask over a sample.
func TestShape(t *testing.T) {
	const n = 20000
	g := New(1)
	services := map[string]bool{}
	ops := map[int]bool{}
	classes := map[Class]int{}
	shapes := map[Shape]int{}
	var bytesTotal int
	var emails, tokens, jwts, idents int
	for i := uint64(0); i < n; i++ {
		line := g.Line(i)
		bytesTotal += len(line) + 1
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i, err, line)
		}
		if seq, ok := m["seq"].(float64); !ok || uint64(seq) != i {
			t.Fatalf("line %d: seq = %v, want %d", i, m["seq"], i)
		}
		info := g.Describe(i)
		shapes[info.Shape]++
		services[info.Service] = true
		ops[info.Operation] = true
		classes[info.Class]++
		switch info.Shape {
		case ShapeAster:
			for _, k := range []string{"ts", "level", "logger", "msg", "service", "method", "request_id", "duration_ms", "status_code"} {
				if _, ok := m[k]; !ok {
					t.Fatalf("aster line %d has no %q: %s", i, k, line)
				}
			}
			if m["service"] != info.Service {
				t.Fatalf("aster line %d: service %v, Describe says %s", i, m["service"], info.Service)
			}
		case ShapeAstrocyte:
			msg, ok := m["msg"].(string)
			if !ok {
				t.Fatalf("astrocyte line %d: msg is not a string: %s", i, line)
			}
			var inner map[string]any
			if err := json.Unmarshal([]byte(msg), &inner); err != nil {
				t.Fatalf("astrocyte line %d: msg is not JSON: %v", i, err)
			}
			for _, k := range []string{"event", "request_id", "method", "path", "status_code", "duration_ms"} {
				if _, ok := inner[k]; !ok {
					t.Fatalf("astrocyte line %d: msg has no %q: %s", i, k, msg)
				}
			}
			if _, ok := m["timestamp"]; !ok {
				t.Fatalf("astrocyte line %d has no timestamp", i)
			}
		case ShapeAIStack:
			if _, ok := m["extra"].(map[string]any); !ok {
				t.Fatalf("aistack line %d: extra is not a map: %s", i, line)
			}
			if h, ok := m["request_headers"]; ok {
				if _, ok := h.(map[string]any); !ok {
					t.Fatalf("aistack line %d: request_headers is not a map: %s", i, line)
				}
			}
			if _, ok := m["status"]; !ok {
				t.Fatalf("aistack line %d has no status", i)
			}
		}
		s := string(line)
		if strings.Contains(s, "@") {
			emails++
		}
		if strings.Contains(s, "Bearer ") || strings.Contains(s, "sk_live_") || strings.Contains(s, "X-Api-Key") {
			tokens++
		}
		if strings.Contains(s, "token=eyJ") {
			jwts++
		}
		if strings.Contains(s, `"peer":`) || strings.Contains(s, `"node_id":`) || strings.Contains(s, `"contract_id":`) {
			idents++
		}
	}
	if avg := bytesTotal / n; avg < 200 || avg > 300 {
		t.Errorf("average line is %d bytes, want about 250", avg)
	}
	if len(services) != len(Services) {
		t.Errorf("%d services seen, want %d", len(services), len(Services))
	}
	if len(ops) != OperationCount {
		t.Errorf("%d operations seen, want %d", len(ops), OperationCount)
	}
	for c := Class2xx; c <= ClassDisconnect; c++ {
		if classes[c] < n/200 {
			t.Errorf("class %s: %d lines of %d, want at least 0.5%%", c, classes[c], n)
		}
	}
	for s := ShapeAster; s <= ShapeAIStack; s++ {
		if shapes[s] < n/4 {
			t.Errorf("shape %s: %d lines of %d, want about a third", s, shapes[s], n)
		}
	}
	for name, count := range map[string]int{"emails": emails, "tokens": tokens, "JWTs": jwts, "identifiers": idents} {
		if count < n/100 {
			t.Errorf("%s on %d lines of %d, want at least 1%%", name, count, n)
		}
	}
	t.Logf("avg %d B/line; classes %v; shapes %v; emails %d tokens %d jwts %d idents %d", bytesTotal/n, classes, shapes, emails, tokens, jwts, idents)
}

func BenchmarkAppendLine(b *testing.B) {
	g := New(1)
	buf := make([]byte, 0, 512)
	var i uint64
	b.ReportAllocs()
	for b.Loop() {
		buf = g.AppendLine(buf[:0], i)
		i++
	}
	b.SetBytes(int64(len(buf)))
}
