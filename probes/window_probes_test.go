package probes_test

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/probes"
	"github.com/google/go-cmp/cmp"
)

// fill returns a window of size 1000 holding n samples, the first failed of
// them failing, with latencies 1ms, 2ms, ... n ms.
func fill(n, failed int) *probes.SampleWindow {
	w := probes.NewSampleWindow(1000)
	for i := range n {
		w.Record(i >= failed, ms(i+1))
	}
	return w
}

func TestWindowProbes(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		p    probes.Probe
		ctx  context.Context
		want probes.Result
	}{
		{
			name: "ratio met",
			p:    fill(250, 2).SuccessRatioAtLeast("ok-ratio", 0.99, 100),
			want: probes.Result{Probe: "ok-ratio", OK: true, Observed: "success ratio 0.992 over 250 calls, 248 ok (want >= 0.99)"},
		},
		{
			name: "ratio exactly met",
			p:    fill(100, 1).SuccessRatioAtLeast("ok-ratio", 0.99, 100),
			want: probes.Result{Probe: "ok-ratio", OK: true, Observed: "success ratio 0.99 over 100 calls, 99 ok (want >= 0.99)"},
		},
		{
			name: "ratio missed",
			p:    fill(250, 7).SuccessRatioAtLeast("ok-ratio", 0.99, 100),
			want: probes.Result{
				Probe: "ok-ratio", Observed: "success ratio 0.972 over 250 calls, 243 ok (want >= 0.99)",
				Err: "probes: success ratio 0.972 is below 0.99",
			},
		},
		{
			name: "ratio shown rounded down",
			p:    fill(3, 1).SuccessRatioAtLeast("ok-ratio", 0.9, 1),
			want: probes.Result{
				Probe: "ok-ratio", Observed: "success ratio 0.6666 over 3 calls, 2 ok (want >= 0.9)",
				Err: "probes: success ratio 0.6666 is below 0.9",
			},
		},
		{
			name: "ratio with too few calls",
			p:    fill(50, 50).SuccessRatioAtLeast("ok-ratio", 0.99, 100),
			want: probes.Result{Probe: "ok-ratio", OK: true, Observed: "not enough data: 50 calls (need 100)"},
		},
		{
			name: "ratio of an empty window",
			p:    probes.NewSampleWindow(10).SuccessRatioAtLeast("ok-ratio", 0.99, 0),
			want: probes.Result{Probe: "ok-ratio", OK: true, Observed: "not enough data: 0 calls (need 1)"},
		},
		{
			name: "ratio target above 1",
			p:    fill(10, 0).SuccessRatioAtLeast("ok-ratio", 1.5, 1),
			want: probes.Result{Probe: "ok-ratio", Observed: "not checked", Err: "probes: success ratio target 1.5 is outside [0,1]"},
		},
		{
			name: "ratio target NaN",
			p:    fill(10, 0).SuccessRatioAtLeast("ok-ratio", math.NaN(), 1),
			want: probes.Result{Probe: "ok-ratio", Observed: "not checked", Err: "probes: success ratio target NaN is outside [0,1]"},
		},
		{
			name: "ratio on a nil window",
			p:    (*probes.SampleWindow)(nil).SuccessRatioAtLeast("ok-ratio", 0.5, 1),
			want: probes.Result{Probe: "ok-ratio", Observed: "not checked", Err: "probes: nil *SampleWindow"},
		},
		{
			name: "ratio with ctx cancelled",
			p:    fill(10, 0).SuccessRatioAtLeast("ok-ratio", 0.5, 1),
			ctx:  cancelled,
			want: probes.Result{Probe: "ok-ratio", Observed: "not checked", Err: "context canceled"},
		},
		{
			name: "p99 met",
			p:    fill(250, 0).LatencyAtMost("p99", 0.99, 250*time.Millisecond, 100),
			want: probes.Result{Probe: "p99", OK: true, Observed: "p99 latency 248ms over 250 calls (want <= 250ms)"},
		},
		{
			name: "p99 at the limit",
			p:    fill(250, 0).LatencyAtMost("p99", 0.99, 248*time.Millisecond, 100),
			want: probes.Result{Probe: "p99", OK: true, Observed: "p99 latency 248ms over 250 calls (want <= 248ms)"},
		},
		{
			name: "p99 missed",
			p:    fill(250, 0).LatencyAtMost("p99", 0.99, 200*time.Millisecond, 100),
			want: probes.Result{
				Probe: "p99", Observed: "p99 latency 248ms over 250 calls (want <= 200ms)",
				Err: "probes: p99 latency 248ms is above 200ms",
			},
		},
		{
			name: "p99.9",
			p:    fill(1000, 0).LatencyAtMost("p999", 0.999, time.Second, 1),
			want: probes.Result{Probe: "p999", OK: true, Observed: "p99.9 latency 999ms over 1000 calls (want <= 1s)"},
		},
		{
			name: "median",
			p:    fill(10, 0).LatencyAtMost("p50", 0.5, ms(4), 1),
			want: probes.Result{
				Probe: "p50", Observed: "p50 latency 5ms over 10 calls (want <= 4ms)",
				Err: "probes: p50 latency 5ms is above 4ms",
			},
		},
		{
			name: "latency with too few calls",
			p:    fill(3, 0).LatencyAtMost("p99", 0.99, time.Nanosecond, 10),
			want: probes.Result{Probe: "p99", OK: true, Observed: "not enough data: 3 calls (need 10)"},
		},
		{
			name: "quantile below 0",
			p:    fill(3, 0).LatencyAtMost("p99", -0.1, time.Second, 1),
			want: probes.Result{Probe: "p99", Observed: "not checked", Err: "probes: quantile -0.1 is outside [0,1]"},
		},
		{
			name: "latency on a nil window",
			p:    (*probes.SampleWindow)(nil).LatencyAtMost("p99", 0.99, time.Second, 1),
			want: probes.Result{Probe: "p99", Observed: "not checked", Err: "probes: nil *SampleWindow"},
		},
		{
			name: "latency with ctx cancelled",
			p:    fill(3, 0).LatencyAtMost("p99", 0.99, time.Second, 1),
			ctx:  cancelled,
			want: probes.Result{Probe: "p99", Observed: "not checked", Err: "context canceled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			if got := tt.p.Name(); got != tt.want.Probe {
				t.Errorf("Name() = %q, want %q", got, tt.want.Probe)
			}
			got := tt.p.Check(ctx)
			got.Duration = 0 // real time: checked on fake time below
			if diff := cmp.Diff(tt.want, got, proseOnly); diff != "" {
				t.Errorf("Check() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWindowProbeFollowsWindow checks a probe against a window that changes
// between checks, on fake time with a max age, as a game day would.
func TestWindowProbeFollowsWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := probes.NewSampleWindow(100, probes.WithMaxAge(time.Minute))
		p := w.SuccessRatioAtLeast("checkout", 0.9, 10)
		check := func(want probes.Result) {
			t.Helper()
			if diff := cmp.Diff(want, p.Check(t.Context()), proseOnly); diff != "" {
				t.Errorf("Check() mismatch (-want +got):\n%s", diff)
			}
		}
		for range 20 {
			w.Record(true, ms(3))
		}
		check(probes.Result{Probe: "checkout", OK: true, Observed: "success ratio 1 over 20 calls, 20 ok (want >= 0.9)"})

		time.Sleep(30 * time.Second) // faults start
		for range 20 {
			w.Record(false, ms(3))
		}
		check(probes.Result{
			Probe: "checkout", Observed: "success ratio 0.5 over 40 calls, 20 ok (want >= 0.9)",
			Err: "probes: success ratio 0.5 is below 0.9",
		})

		time.Sleep(40 * time.Second) // the good calls age out
		check(probes.Result{
			Probe: "checkout", Observed: "success ratio 0 over 20 calls, 0 ok (want >= 0.9)",
			Err: "probes: success ratio 0 is below 0.9",
		})

		time.Sleep(time.Minute) // quiet: nothing left to judge
		check(probes.Result{Probe: "checkout", OK: true, Observed: "not enough data: 0 calls (need 10)"})
	})
}
