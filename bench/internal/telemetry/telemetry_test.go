package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const sample = `# HELP otelcol_exporter_consumed_items_total Number of items passed to the exporter.
# TYPE otelcol_exporter_consumed_items_total counter
otelcol_exporter_consumed_items_total{otel_component_id="nop",otel_component_kind="exporter",otel_signal="logs",outcome="success"} 1500
otelcol_exporter_consumed_items_total{otel_component_id="nop",otel_component_kind="exporter",otel_signal="logs",outcome="failure"} 7
otelcol_exporter_consumed_items_total{otel_component_id="nop",otel_component_kind="exporter",otel_signal="traces",outcome="success"} 99
otelcol_exporter_consumed_items_total{otel_component_id="file",otel_component_kind="exporter",otel_signal="logs",outcome="success"} 500
# HELP otelcol_process_uptime Uptime of the process
# TYPE otelcol_process_uptime gauge
otelcol_process_uptime 12.5
`

func TestSum(t *testing.T) {
	f, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		match map[string]string
		want  float64
		found bool
	}{
		{"otelcol_exporter_consumed_items", map[string]string{"otel_signal": "logs", "outcome": "success"}, 2000, true},
		{"otelcol_exporter_consumed_items", map[string]string{"otel_signal": "logs", "otel_component_id": "nop"}, 1507, true},
		{"otelcol_exporter_consumed_items_total", nil, 2106, true},
		{"otelcol_process_uptime", nil, 12.5, true},
		{"otelcol_exporter_consumed_items", map[string]string{"otel_signal": "metrics"}, 0, false},
		{"otelcol_receiver_accepted_log_records", nil, 0, false},
	}
	for _, c := range cases {
		got, found := f.Sum(c.name, c.match)
		if got != c.want || found != c.found {
			t.Errorf("Sum(%s, %v) = %v, %v; want %v, %v", c.name, c.match, got, found, c.want, c.found)
		}
	}
}

func TestScrape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, sample)
	}))
	defer srv.Close()
	f, err := Scrape(context.Background(), srv.Client(), srv.URL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Sum("otelcol_process_uptime", nil); v != 12.5 {
		t.Fatalf("uptime %v, want 12.5", v)
	}
	if _, err := Scrape(context.Background(), srv.Client(), srv.URL+"/nope"); err == nil {
		t.Fatal("a 404 was accepted as a scrape")
	}
	if _, err := Parse(strings.NewReader("not a metric line {\n")); err == nil {
		t.Fatal("garbage was parsed")
	}
}
