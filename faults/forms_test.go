package faults_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faultline-go/faultline/faults"
	"pgregory.net/rapid"
)

// errFake is what the custom fault the tests register returns.
var errFake = errors.New("fake result")

func init() {
	if err := faults.Register("faultstest.fake", func(context.Context, string) error { return errFake }); err != nil {
		panic(err)
	}
}

// registerRuns numbers the runs of TestRegister, so that -count=N
// registers a fresh name each time: the registry is process-wide.
var registerRuns atomic.Int64

func TestRegister(t *testing.T) {
	fn := func(context.Context, string) error { return nil }
	tests := []struct {
		name string
		fn   faults.Func
		ok   bool
	}{
		{fmt.Sprintf("faultstest.other%d", registerRuns.Add(1)), fn, true},
		{"faultstest.fake", fn, false}, // registered at init
		{"", fn, false},
		{"delay", fn, false},
		{"error", fn, false},
		{"cancel", fn, false},
		{"Upper", fn, false},
		{"has space", fn, false},
		{"faultstest.nilfn", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := faults.Register(tt.name, tt.fn); (err == nil) != tt.ok {
				t.Errorf("Register(%q) = %v, want ok %v", tt.name, err, tt.ok)
			}
		})
	}
	if err := faults.Register("faultstest.fake", fn); !errors.Is(err, faults.ErrRegistered) {
		t.Errorf("second Register = %v, want ErrRegistered", err)
	}
	err := faults.Custom("faultstest.fake").Inject(context.Background(), "p", 0)
	if !errors.Is(err, errFake) || !errors.Is(err, faults.ErrInjected) {
		t.Errorf("Inject = %v, want the function's error, injected", err)
	}
}

// TestPropDistributions: every draw is within [0, cap], and the same word
// draws the same delay.
func TestPropDistributions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := faults.Fault{Kind: faults.KindLatency, Dist: faults.Dist(rapid.IntRange(1, 3).Draw(t, "dist")),
			Delay: time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(t, "location")),
			Max:   time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "max"))}
		if f.Dist == faults.Normal {
			f.Jitter = time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "sd"))
		} else {
			f.Shape = rapid.Float64Range(0.01, faults.MaxShape).Draw(t, "shape")
		}
		if err := f.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		r := rapid.Uint64().Draw(t, "word")
		d := f.Duration(r)
		limit := f.Max
		if limit == 0 {
			limit = faults.DefaultHangLimit
		}
		if d < 0 || d > limit || d != f.Duration(r) {
			t.Fatalf("Duration = %v, outside [0,%v] or not stable", d, limit)
		}
	})
}

// TestDistributionShapes: the draws have about the median or mean they
// should.
func TestDistributionShapes(t *testing.T) {
	tests := []struct {
		f    faults.Fault
		want time.Duration // median of the draws
	}{
		{faults.Fault{Kind: faults.KindLatency, Dist: faults.Normal, Delay: 200 * time.Millisecond, Jitter: 50 * time.Millisecond}, 200 * time.Millisecond},
		{faults.Fault{Kind: faults.KindLatency, Dist: faults.LogNormal, Delay: 100 * time.Millisecond, Shape: 0.5}, 100 * time.Millisecond},
		{faults.Fault{Kind: faults.KindLatency, Dist: faults.Pareto, Delay: 50 * time.Millisecond, Shape: 1}, 100 * time.Millisecond}, // median xm·2^(1/α)
	}
	for _, tt := range tests {
		t.Run(tt.f.String(), func(t *testing.T) {
			below := 0
			const n = 20000
			for i := range uint64(n) {
				if tt.f.Duration(i*0x9e3779b97f4a7c15) < tt.want {
					below++
				}
			}
			if share := float64(below) / n; share < 0.48 || share > 0.52 {
				t.Errorf("%.3f of draws below %v, want about half", share, tt.want)
			}
		})
	}
}
