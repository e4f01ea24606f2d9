package sources

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type snap func() any

func (f snap) Snapshot() any { return f() }

type collectingSource struct {
	snap
	prometheus.Counter
}

func TestRegisterReplaceUnregister(t *testing.T) {
	r := New()
	first := snap(func() any { return map[string]int{"v": 1} })
	second := snap(func() any { return map[string]int{"v": 2} })

	unregisterFirst := r.Register("processor/redmetrics", first)
	assert.JSONEq(t, `{"processor/redmetrics":{"v":1}}`, marshal(t, r.Snapshots()))

	unregisterSecond := r.Register("processor/redmetrics", second)
	assert.JSONEq(t, `{"processor/redmetrics":{"v":2}}`, marshal(t, r.Snapshots()), "second replaces first")

	unregisterFirst()
	assert.JSONEq(t, `{"processor/redmetrics":{"v":2}}`, marshal(t, r.Snapshots()), "stale unregister leaves the successor")
	assert.Equal(t, 1, r.Len())

	unregisterSecond()
	unregisterSecond() // safe twice
	assert.JSONEq(t, `{}`, marshal(t, r.Snapshots()))
	assert.Equal(t, 0, r.Len())
}

func TestSnapshotFailuresStayLocal(t *testing.T) {
	r := New()
	r.Register("ok", snap(func() any {
		return struct {
			Files int `json:"files"`
		}{Files: 3}
	}))
	r.Register("panics", snap(func() any { panic("boom") }))
	r.Register("nan", snap(func() any { return map[string]float64{"lag": math.NaN()} }))

	got := r.Snapshots()
	assert.JSONEq(t, `{"files":3}`, string(got["ok"]))
	assert.JSONEq(t, `{"error":"snapshot of panics panicked: boom"}`, string(got["panics"]))
	assert.Contains(t, string(got["nan"]), `"error":"snapshot of nan cannot be encoded: json: unsupported value: NaN"`)
}

func TestCollectorsAreWrappedWithComponentLabel(t *testing.T) {
	r := New()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "red_requests_total", Help: "Requests."})
	c.Add(4)
	r.Register("processor/redmetrics/b", collectingSource{snap: func() any { return map[string]int{} }, Counter: c})
	r.Register("processor/mask", snap(func() any { return map[string]int{} })) // no collector
	r.Register("processor/redmetrics/a", collectingSource{snap: func() any { return map[string]int{} }, Counter: c})

	named := r.Collectors()
	require.Len(t, named, 2)
	assert.Equal(t, "processor/redmetrics/a", named[0].Name, "ordered by name")

	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(named[1].Collector))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, mfs, 1)
	assert.Equal(t, "red_requests_total", mfs[0].GetName())
	require.Len(t, mfs[0].GetMetric(), 1)
	assert.Equal(t, ComponentLabel, mfs[0].GetMetric()[0].GetLabel()[0].GetName())
	assert.Equal(t, "processor/redmetrics/b", mfs[0].GetMetric()[0].GetLabel()[0].GetValue())
	assert.InDelta(t, 4.0, mfs[0].GetMetric()[0].GetCounter().GetValue(), 0)
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
