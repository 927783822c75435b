package probes_test

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/probes"
	"github.com/google/go-cmp/cmp"
)

// TestResultJSON pins the JSON form of a Result, which experiment reports
// embed.
func TestResultJSON(t *testing.T) {
	tests := []struct {
		name string
		r    probes.Result
		want string
	}{
		{
			name: "ok",
			r: probes.Result{Probe: "api", OK: true, Observed: "status 200 in 12ms (want 2xx)",
				Metric: "check_latency", Value: 12e6, Unit: "ns", Samples: 1, Duration: 12 * time.Millisecond},
			want: `{"probe":"api","ok":true,"observed":"status 200 in 12ms (want 2xx)","metric":"check_latency","value":12000000,"unit":"ns","samples":1,"duration_ns":12000000}`,
		},
		{
			name: "failed",
			r:    probes.Result{Probe: "api", Observed: "status 503 in 1ms (want 2xx)", Err: "probes: status 503, want 2xx", Duration: time.Millisecond},
			want: `{"probe":"api","ok":false,"observed":"status 503 in 1ms (want 2xx)","error":"probes: status 503, want 2xx","value":0,"samples":0,"duration_ns":1000000}`,
		},
		{
			name: "window",
			r: probes.Result{Probe: "ok ≥ 99%", Observed: "success ratio 0.98 over 100 calls, 98 ok (want >= 0.99)", Err: "probes: success ratio 0.98 is below 0.99",
				Metric: "success_ratio", Value: 0.98, Threshold: 0.99, Unit: "ratio", Samples: 100, MinSamples: 20},
			want: `{"probe":"ok ≥ 99%","ok":false,"observed":"success ratio 0.98 over 100 calls, 98 ok (want \u003e= 0.99)","error":"probes: success ratio 0.98 is below 0.99","metric":"success_ratio","value":0.98,"threshold":0.99,"unit":"ratio","samples":100,"min_samples":20,"duration_ns":0}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(b) != tt.want {
				t.Errorf("Marshal = %s, want %s", b, tt.want)
			}
			var back probes.Result
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.r, back); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResultNumbers checks the figures each kind of probe puts in its
// Result beside the prose: what it measured, against what, in which unit,
// over how many samples.
func TestResultNumbers(t *testing.T) {
	w := probes.NewSampleWindow(100)
	for i := range 10 {
		w.Record(i != 0, time.Duration(i+1)*time.Millisecond) // 9 of 10 ok, 1ms..10ms
	}
	empty := probes.NewSampleWindow(10)
	tests := []struct {
		name string
		p    probes.Probe
		want probes.Result // Probe, OK, Observed, Err and Duration are not compared
	}{
		{"success ratio", w.SuccessRatioAtLeast("ok", 0.95, 5),
			probes.Result{Metric: "success_ratio", Value: 0.9, Threshold: 0.95, Unit: "ratio", Samples: 10, MinSamples: 5}},
		{"p99", w.LatencyAtMost("p99", 0.99, 20*time.Millisecond, 5),
			probes.Result{Metric: "p99_latency", Value: 10e6, Threshold: 20e6, Unit: "ns", Samples: 10, MinSamples: 5}},
		{"p50", w.LatencyAtMost("p50", 0.5, time.Millisecond, 5),
			probes.Result{Metric: "p50_latency", Value: 5e6, Threshold: 1e6, Unit: "ns", Samples: 10, MinSamples: 5}},
		{"too few samples", w.SuccessRatioAtLeast("ok", 0.95, 50),
			probes.Result{Metric: "success_ratio", Value: 0.9, Threshold: 0.95, Unit: "ratio", Samples: 10, MinSamples: 50}},
		{"empty window", empty.SuccessRatioAtLeast("ok", 0.95, 0),
			probes.Result{Metric: "success_ratio", Threshold: 0.95, Unit: "ratio", MinSamples: 1}},
		{"func", probes.Func("f", func(context.Context) error { return nil }),
			probes.Result{Metric: "check_latency", Unit: "ns", Samples: 1}},
		{"nil func", probes.Func("f", nil), probes.Result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				got := tt.p.Check(t.Context())
				got.Probe, got.OK, got.Observed, got.Err, got.Duration = "", false, "", "", 0
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("numbers (-want +got):\n%s", diff)
				}
				if want := tt.want.Samples > 0 && tt.want.Samples >= tt.want.MinSamples; got.Judged() != want {
					t.Errorf("Judged() = %v, want %v", got.Judged(), want)
				}
			})
		})
	}
}

// TestSettleTime: a window probe trails its window by the window's max
// age, which is what an experiment waits for after its faults.
func TestSettleTime(t *testing.T) {
	tests := []struct {
		name string
		w    *probes.SampleWindow
		want time.Duration
	}{
		{"max age", probes.NewSampleWindow(10, probes.WithMaxAge(3*time.Second)), 3 * time.Second},
		{"no max age", probes.NewSampleWindow(10), 0},
		{"max age off", probes.NewSampleWindow(10, probes.WithMaxAge(-1)), 0},
		{"zero window", new(probes.SampleWindow), 0},
		{"nil window", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range []probes.Probe{tt.w.SuccessRatioAtLeast("ok", 0.9, 1), tt.w.LatencyAtMost("p99", 0.99, time.Second, 1)} {
				s, ok := p.(probes.Settling)
				if !ok {
					t.Fatalf("%T is not a probes.Settling", p)
				}
				if got := s.SettleTime(); got != tt.want {
					t.Errorf("SettleTime() = %v, want %v", got, tt.want)
				}
			}
			if got := tt.w.MaxAge(); got != tt.want {
				t.Errorf("MaxAge() = %v, want %v", got, tt.want)
			}
		})
	}
}
