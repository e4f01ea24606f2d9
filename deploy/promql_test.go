package deploy_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// selectorRefs is what a PromQL expression asks of the metrics it reads:
// the metric names it selects, the label names in its matchers per metric,
// and the label names it groups or matches by.
type selectorRefs struct {
	metrics  map[string]map[string]bool // metric name → label names in its {…} matchers
	grouping map[string]bool            // labels in by/without/on/ignoring/group_left/group_right
}

// promqlKeywords are the identifiers of PromQL that are not metric names
// when they are not followed by "(".
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"inf": true, "nan": true,
}

// aggregationOperators may be followed by "by (…)" or "without (…)" before
// their "(", so they are recognised by name.
var aggregationOperators = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

// groupingKeywords introduce a parenthesised list of label names.
var groupingKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// skipString returns the index just past the string literal starting at i.
func skipString(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		if s[j] == '\\' && q != '`' {
			j++
			continue
		}
		if s[j] == q {
			return j + 1
		}
	}
	return len(s)
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// matcherLabels reads the label names of a {…} block starting at i (at
// '{') and returns them with the index past the closing brace.
func matcherLabels(s string, i int) (map[string]bool, int) {
	labels := map[string]bool{}
	i++
	for i < len(s) && s[i] != '}' {
		switch c := s[i]; {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(s, i)
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			labels[s[i:j]] = true
			i = j
		default:
			i++
		}
	}
	return labels, i + 1
}

// parsePromQL extracts the metric names and label names an expression uses.
// It is a lexer, not a parser: enough for the dashboards and rules in this
// repository, which its own tests pin. Grafana's $variables may appear in
// strings and range brackets, where they are skipped.
func parsePromQL(expr string) selectorRefs {
	refs := selectorRefs{metrics: map[string]map[string]bool{}, grouping: map[string]bool{}}
	s := expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(s, i)
		case c == '[':
			for i < len(s) && s[i] != ']' {
				i++
			}
			i++
		case c == '{':
			// A selector without a metric name ({__name__="x"}).
			labels, next := matcherLabels(s, i)
			refs.metrics[""] = labels
			i = next
		case c == '$':
			i++
			for i < len(s) && (isIdentChar(s[i]) || s[i] == '{' || s[i] == '}') {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			// Numbers and durations (5m, 1e3, 0.99).
			for i < len(s) && (isIdentChar(s[i]) || s[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			word := s[i:j]
			k := skipSpace(s, j)
			switch {
			case groupingKeywords[strings.ToLower(word)]:
				if k < len(s) && s[k] == '(' {
					end := strings.IndexByte(s[k:], ')')
					if end < 0 {
						end = len(s) - k
					}
					for _, l := range strings.Split(s[k+1:k+end], ",") {
						if l = strings.TrimSpace(l); l != "" {
							refs.grouping[l] = true
						}
					}
					j = k + end + 1
				}
			case k < len(s) && s[k] == '(':
				// A function or aggregation: its arguments are scanned next.
			case promqlKeywords[strings.ToLower(word)], aggregationOperators[strings.ToLower(word)]:
			default:
				labels := map[string]bool{}
				if k < len(s) && s[k] == '{' {
					labels, j = matcherLabels(s, k)
				}
				if refs.metrics[word] == nil {
					refs.metrics[word] = map[string]bool{}
				}
				for l := range labels {
					refs.metrics[word][l] = true
				}
			}
			i = j
		default:
			i++
		}
	}
	return refs
}

// grafanaQueryExpr turns a Grafana template query into PromQL: the
// label_values(expr, label) and label_values(label) helpers read series of
// expr and the label named last.
func grafanaQueryExpr(q string) (expr string, label string) {
	q = strings.TrimSpace(q)
	inner, ok := strings.CutPrefix(q, "label_values(")
	if !ok {
		return q, ""
	}
	inner = strings.TrimSuffix(inner, ")")
	if i := strings.LastIndexByte(inner, ','); i >= 0 {
		return strings.TrimSpace(inner[:i]), strings.TrimSpace(inner[i+1:])
	}
	return "", strings.TrimSpace(inner)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestParsePromQL(t *testing.T) {
	for _, tc := range []struct {
		name     string
		expr     string
		metrics  map[string][]string
		grouping []string
	}{
		{
			name:     "rate with grafana variables",
			expr:     `sum by (service, operation) (rate(red_requests_total{job=~"$job", service=~"$service"}[$__rate_interval]))`,
			metrics:  map[string][]string{"red_requests_total": {"job", "service"}},
			grouping: []string{"operation", "service"},
		},
		{
			name:     "ratio with regex matcher holding keywords",
			expr:     `sum(rate(a_total{status_class=~"4xx|5xx", x="by (y)"}[5m])) / sum without (instance) (rate(a_total[5m])) > 0.05`,
			metrics:  map[string][]string{"a_total": {"status_class", "x"}},
			grouping: []string{"instance"},
		},
		{
			name:     "histogram quantile, modifiers after the aggregation, numbers",
			expr:     "histogram_quantile(0.99, sum(rate(d_seconds_bucket[1m])) by (le))\n  > 2e0 and on (le) vector(1) unless d_seconds_count offset 5m",
			metrics:  map[string][]string{"d_seconds_bucket": {}, "d_seconds_count": {}},
			grouping: []string{"le"},
		},
		{
			name:     "recording rule names and bool",
			expr:     `service_operation:red_requests:rate5m == bool 0 or vector(0)`,
			metrics:  map[string][]string{"service_operation:red_requests:rate5m": {}},
			grouping: []string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refs := parsePromQL(tc.expr)
			got := map[string][]string{}
			for m, labels := range refs.metrics {
				got[m] = sortedKeys(labels)
			}
			assert.Equal(t, tc.metrics, got)
			assert.Equal(t, tc.grouping, sortedKeys(refs.grouping))
		})
	}
}

func TestGrafanaQueryExpr(t *testing.T) {
	expr, label := grafanaQueryExpr(`label_values(red_requests_total{job=~"$job"}, service)`)
	assert.Equal(t, `red_requests_total{job=~"$job"}`, expr)
	assert.Equal(t, "service", label)
	expr, label = grafanaQueryExpr(`label_values(job)`)
	assert.Empty(t, expr)
	assert.Equal(t, "job", label)
	expr, label = grafanaQueryExpr(`up == 1`)
	assert.Equal(t, `up == 1`, expr)
	assert.Empty(t, label)
}
