package limiter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flakyBackend allows everything while healthy and fails otherwise.
type flakyBackend struct {
	healthy bool
	calls   int
}

func (f *flakyBackend) Decide(_ context.Context, b *Batch, mode Mode, _ time.Time) Outcome {
	f.calls++
	if !f.healthy {
		return Outcome{BackendErr: errors.New("connection refused")}
	}
	if mode == AllOrNothing {
		b.All = Result{Allowed: true}
		return Outcome{}
	}
	b.prepareResults()
	for i := range b.Results {
		b.Results[i] = Result{Allowed: true}
	}
	return Outcome{}
}

func TestFailover(t *testing.T) {
	for _, tc := range []struct {
		name        string
		policy      FallbackPolicy
		wantAllowed []bool // local fallback: burst 1
	}{
		{name: "local", policy: FallbackLocal, wantAllowed: []bool{true, false}},
		{name: "allow", policy: FallbackAllow, wantAllowed: []bool{true, true}},
		{name: "deny", policy: FallbackDeny, wantAllowed: []bool{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			primary := &flakyBackend{healthy: true}
			local := newLocal(t, Bucket{Name: "g", Rate: 0.001, Burst: 1})
			var changes []bool
			f := NewFailover(primary, local, tc.policy, time.Second, func(active bool, _ error) { changes = append(changes, active) })
			var b Batch
			two := func() { fill(&b, 1, unitSpec{1, []*string{k("")}}, unitSpec{1, []*string{k("")}}) }

			two()
			out := f.Decide(context.Background(), &b, PerUnit, t0)
			require.NoError(t, out.BackendErr)
			assert.Equal(t, []bool{true, true}, allowed(&b))

			primary.healthy = false
			two()
			out = f.Decide(context.Background(), &b, PerUnit, t0)
			assert.Error(t, out.BackendErr)
			assert.True(t, out.Fallback)
			assert.True(t, f.Active())
			assert.Equal(t, tc.wantAllowed, allowed(&b))
			if tc.policy == FallbackDeny {
				assert.Equal(t, DeniedByBackend, b.Results[0].DeniedBy)
			}

			// Within the probe interval the backend is not asked at all.
			calls := primary.calls
			for range 10 {
				two()
				out = f.Decide(context.Background(), &b, PerUnit, t0.Add(500*time.Millisecond))
				assert.NoError(t, out.BackendErr)
				assert.True(t, out.Fallback)
			}
			assert.Equal(t, calls, primary.calls)

			// A failed probe keeps the fallback, one error per interval.
			two()
			out = f.Decide(context.Background(), &b, PerUnit, t0.Add(1100*time.Millisecond))
			assert.Error(t, out.BackendErr)
			assert.Equal(t, calls+1, primary.calls)

			// Recovery at the next probe.
			primary.healthy = true
			two()
			out = f.Decide(context.Background(), &b, PerUnit, t0.Add(2200*time.Millisecond))
			require.NoError(t, out.BackendErr)
			assert.False(t, out.Fallback)
			assert.False(t, f.Active())
			assert.Equal(t, []bool{true, true}, allowed(&b))
			assert.Equal(t, []bool{true, false}, changes, "one log line per transition")
		})
	}
}
