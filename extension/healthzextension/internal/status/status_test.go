package status

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	t0          = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	otlpLogs    = Instance{Kind: "receiver", ID: "otlp", Pipelines: []string{"logs"}}
	accesslog   = Instance{Kind: "receiver", ID: "accesslog", Pipelines: []string{"logs"}}
	maskLogs    = Instance{Kind: "processor", ID: "mask", Pipelines: []string{"logs"}}
	debugExport = Instance{Kind: "exporter", ID: "debug", Pipelines: []string{"traces", "logs"}}
	healthzExt  = Instance{Kind: "extension", ID: "healthz"}
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// step applies one change and states what every view must say afterwards.
type step struct {
	name          string
	apply         func(a *Aggregator)
	alive         bool
	livenessWhy   string
	ready         bool
	readinessWhy  string
	overall       Overall
	overallPrefix string
}

func record(inst Instance, s Status, msg string) func(*Aggregator) {
	return func(a *Aggregator) { a.Record(inst, Event{Status: s, Message: msg}) }
}

func all(fs ...func(*Aggregator)) func(*Aggregator) {
	return func(a *Aggregator) {
		for _, f := range fs {
			f(a)
		}
	}
}

func startAll(a *Aggregator) {
	for _, inst := range []Instance{healthzExt, otlpLogs, accesslog, maskLogs, debugExport} {
		a.Record(inst, Event{Status: StatusStarting})
		a.Record(inst, Event{Status: StatusOK})
	}
}

func TestLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{
			name: "starting then ready then shutting down",
			steps: []step{
				{
					name: "nothing reported", apply: func(*Aggregator) {},
					alive: true, readinessWhy: "collector is starting: pipelines have not all started yet",
					overall: OverallStarting, overallPrefix: "pipelines have not all started yet; 0 of 0",
				},
				{
					name: "components starting", apply: record(otlpLogs, StatusStarting, ""),
					alive: true, readinessWhy: "collector is starting",
					overall: OverallStarting, overallPrefix: "pipelines have not all started yet; 1 of 1 components starting",
				},
				{
					name: "components ok but pipelines not ready", apply: startAll,
					alive: true, readinessWhy: "collector is starting",
					overall: OverallStarting, overallPrefix: "pipelines have not all started yet; 0 of 5",
				},
				{
					name: "pipelines ready", apply: (*Aggregator).SetReady,
					alive: true, ready: true,
					overall: OverallOK, overallPrefix: "all 5 components ok",
				},
				{
					name: "shutdown begins", apply: (*Aggregator).SetShuttingDown,
					alive: true, readinessWhy: "collector is shutting down",
					overall: OverallStopping, overallPrefix: "collector is shutting down",
				},
				{
					name: "receivers stop", apply: all(record(otlpLogs, StatusStopping, ""), record(otlpLogs, StatusStopped, "")),
					alive: true, readinessWhy: "collector is shutting down",
					overall: OverallStopping,
				},
			},
		},
		{
			name: "recoverable error and recovery",
			steps: []step{
				{name: "ready", apply: all(startAll, (*Aggregator).SetReady), alive: true, ready: true, overall: OverallOK},
				{
					name: "unreadable log file", apply: record(accesslog, StatusRecoverableError, "open /var/log/nginx/access.log: permission denied"),
					alive: true, ready: true,
					overall: OverallDegraded, overallPrefix: "recoverable error in receiver/accesslog (pipelines: logs): open /var/log/nginx/access.log: permission denied",
				},
				{
					name: "second recoverable error", apply: record(debugExport, StatusRecoverableError, "connection refused"),
					alive: true, ready: true,
					overall: OverallDegraded, overallPrefix: "recoverable error in receiver/accesslog (pipelines: logs): open /var/log/nginx/access.log: permission denied (and 1 more)",
				},
				{
					name: "recovered", apply: all(record(accesslog, StatusOK, ""), record(debugExport, StatusOK, "")),
					alive: true, ready: true, overall: OverallOK,
				},
			},
		},
		{
			name: "permanent error",
			steps: []step{
				{name: "ready", apply: all(startAll, (*Aggregator).SetReady), alive: true, ready: true, overall: OverallOK},
				{
					name: "exporter fails permanently", apply: record(debugExport, StatusPermanentError, "invalid credentials"),
					alive: true, readinessWhy: "permanent error in exporter/debug (pipelines: logs, traces): invalid credentials",
					overall: OverallError, overallPrefix: "permanent error in exporter/debug (pipelines: logs, traces): invalid credentials",
				},
			},
		},
		{
			name: "fatal error",
			steps: []step{
				{name: "ready", apply: all(startAll, (*Aggregator).SetReady), alive: true, ready: true, overall: OverallOK},
				{
					name: "server fails", apply: record(healthzExt, StatusFatalError, "listener closed"),
					livenessWhy:  "fatal error in extension/healthz: listener closed",
					readinessWhy: "fatal error in extension/healthz: listener closed",
					overall:      OverallFatal, overallPrefix: "fatal error in extension/healthz: listener closed",
				},
				{
					// The first fatal error stays the reason.
					name: "another fatal", apply: record(otlpLogs, StatusFatalError, "second"),
					livenessWhy:  "fatal error in extension/healthz: listener closed",
					readinessWhy: "fatal error in extension/healthz",
					overall:      OverallFatal,
				},
				{
					name: "shutdown after fatal", apply: (*Aggregator).SetShuttingDown,
					livenessWhy: "fatal error in extension/healthz", readinessWhy: "collector is shutting down",
					overall: OverallFatal,
				},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{now: t0}
			a := NewAggregator(t0, clk.Now)
			for i, st := range tc.steps {
				clk.now = clk.now.Add(time.Second)
				st.apply(a)

				l := a.Liveness()
				assert.Equal(t, st.alive, l.Alive, "step %q liveness", st.name)
				assert.Contains(t, l.Reason, st.livenessWhy, "step %q liveness reason", st.name)
				if st.alive {
					assert.Empty(t, l.Reason, "step %q", st.name)
				}
				assert.Equal(t, time.Duration(i+1)*time.Second, l.Uptime, "step %q uptime", st.name)

				r := a.Readiness()
				assert.Equal(t, st.ready, r.Ready, "step %q readiness", st.name)
				if st.ready {
					assert.Empty(t, r.Reason, "step %q", st.name)
				} else {
					assert.Contains(t, r.Reason, st.readinessWhy, "step %q readiness reason", st.name)
					assert.NotEmpty(t, r.Reason, "step %q", st.name)
				}

				rep := a.Report()
				assert.Equal(t, st.overall, rep.Overall, "step %q overall", st.name)
				assert.Contains(t, rep.Message, st.overallPrefix, "step %q overall message", st.name)
				assert.Equal(t, st.ready, rep.Ready, "step %q report readiness", st.name)
			}
		})
	}
}

func TestReadinessCounts(t *testing.T) {
	a := NewAggregator(t0, nil)
	startAll(a)
	a.SetReady()
	r := a.Readiness()
	assert.True(t, r.Ready)
	assert.Equal(t, 2, r.Pipelines, "logs and traces")
	assert.Equal(t, 5, r.Components)
}

func TestReportOrderAndSince(t *testing.T) {
	clk := &clock{now: t0}
	a := NewAggregator(t0, clk.Now)
	// Reported out of order, with event times from the collector.
	a.Record(debugExport, Event{Status: StatusOK, Time: t0.Add(3 * time.Second)})
	a.Record(Instance{Kind: "processor", ID: "mask", Pipelines: []string{"traces"}}, Event{Status: StatusOK, Time: t0})
	a.Record(maskLogs, Event{Status: StatusOK, Time: t0})
	a.Record(otlpLogs, Event{Status: StatusOK, Time: t0.Add(time.Second)})
	a.Record(healthzExt, Event{Status: StatusOK, Time: t0})
	// A repeated status keeps its since-time; a new one moves it.
	a.Record(otlpLogs, Event{Status: StatusOK, Time: t0.Add(5 * time.Second)})
	a.Record(maskLogs, Event{Status: StatusRecoverableError, Message: "boom", Time: t0.Add(7 * time.Second)})
	// No time: the aggregator's clock is used.
	clk.now = t0.Add(9 * time.Second)
	a.Record(Instance{Kind: "connector", ID: "count", Pipelines: []string{"traces", "logs"}}, Event{Status: StatusOK})
	a.Record(healthzExt, Event{Status: StatusNone}) // ignored

	got := a.Report().Components
	want := []Component{
		{Name: "extension/healthz", Kind: "extension", Pipelines: []string{}, Status: StatusOK, Since: t0},
		{Name: "receiver/otlp", Kind: "receiver", Pipelines: []string{"logs"}, Status: StatusOK, Since: t0.Add(time.Second)},
		{Name: "processor/mask", Kind: "processor", Pipelines: []string{"logs"}, Status: StatusRecoverableError, Message: "boom", Since: t0.Add(7 * time.Second)},
		{Name: "processor/mask", Kind: "processor", Pipelines: []string{"traces"}, Status: StatusOK, Since: t0},
		{Name: "connector/count", Kind: "connector", Pipelines: []string{"logs", "traces"}, Status: StatusOK, Since: t0.Add(9 * time.Second)},
		{Name: "exporter/debug", Kind: "exporter", Pipelines: []string{"logs", "traces"}, Status: StatusOK, Since: t0.Add(3 * time.Second)},
	}
	assert.Equal(t, want, got)
}

func TestRecordDoesNotKeepCallerSlice(t *testing.T) {
	a := NewAggregator(t0, nil)
	pipelines := []string{"b", "a"}
	a.Record(Instance{Kind: "receiver", ID: "x", Pipelines: pipelines}, Event{Status: StatusOK})
	assert.Equal(t, []string{"b", "a"}, pipelines, "caller's slice is not sorted in place")
	pipelines[0] = "changed"
	assert.Equal(t, []string{"a", "b"}, a.Report().Components[0].Pipelines)
}

func TestStatusNames(t *testing.T) {
	names := map[string]bool{}
	for _, s := range AllStatuses {
		b, err := s.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, s.String(), string(b))
		names[s.String()] = true
	}
	assert.Len(t, names, len(AllStatuses), "names are distinct")
	assert.Equal(t, "none", StatusNone.String())
	assert.True(t, Worse(StatusFatalError, StatusPermanentError))
	assert.True(t, Worse(StatusRecoverableError, StatusOK))
	assert.False(t, Worse(StatusOK, StatusStarting))
}

func TestConcurrentUse(t *testing.T) {
	a := NewAggregator(t0, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			a.Record(Instance{Kind: "receiver", ID: fmt.Sprint(i % 10)}, Event{Status: StatusOK})
			if i%100 == 0 {
				a.Record(otlpLogs, Event{Status: StatusRecoverableError, Message: errors.New("x").Error()})
			}
		}
	}()
	for range 200 {
		_ = a.Liveness()
		_ = a.Readiness()
		_ = a.Report()
	}
	<-done
	assert.Len(t, a.Report().Components, 11)
}

func BenchmarkLiveness(b *testing.B) {
	a := NewAggregator(t0, nil)
	startAll(a)
	a.SetReady()
	b.ReportAllocs()
	for b.Loop() {
		_ = a.Liveness()
	}
}

func BenchmarkRecord(b *testing.B) {
	a := NewAggregator(t0, nil)
	b.ReportAllocs()
	for b.Loop() {
		a.Record(otlpLogs, Event{Status: StatusOK, Time: t0})
	}
}
