// Package telemetry reads a collector's own metrics from its Prometheus
// endpoint: the bench decides that a run is complete from what the collector
// itself says it has processed.
package telemetry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families is one scrape, keyed by metric family name.
type Families map[string]*dto.MetricFamily

// Scrape fetches and parses the text exposition at url.
func Scrape(ctx context.Context, client *http.Client, url string) (Families, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	// Ask for the classic text format: the parser below reads only that.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("telemetry: %s answered %s", url, resp.Status)
	}
	return Parse(resp.Body)
}

// Parse reads the Prometheus text format.
func Parse(r io.Reader) (Families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("telemetry: parse: %w", err)
	}
	return Families(fams), nil
}

// Sum adds the values of the counters or gauges named name (with or without
// the _total suffix the Prometheus exporter appends to counters) whose labels
// include every pair of match. found reports whether any series matched.
func (f Families) Sum(name string, match map[string]string) (sum float64, found bool) {
	for _, n := range []string{name, name + "_total"} {
		fam, ok := f[n]
		if !ok {
			continue
		}
		for _, m := range fam.GetMetric() {
			if !labelsMatch(m.GetLabel(), match) {
				continue
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Untyped != nil:
				sum += m.Untyped.GetValue()
			default:
				continue
			}
			found = true
		}
	}
	return sum, found
}

// Names lists the families whose name starts with prefix, for diagnostics.
func (f Families) Names(prefix string) []string {
	var out []string
	for n := range f {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

func labelsMatch(labels []*dto.LabelPair, match map[string]string) bool {
	for k, v := range match {
		ok := false
		for _, l := range labels {
			if l.GetName() == k && l.GetValue() == v {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
