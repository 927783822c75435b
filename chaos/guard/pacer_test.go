package guard_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/guard"
	"github.com/faultline-go/faultline/probes"
)

// TestPacerSteps: each Update sets the scale the Pacer doc gives, from
// the window's error ratio with an SLO of 90% (a budget of 10%): a first
// step from 0, growth capped at Growth, a cut toward the target burn, and
// a stop at the stop burn.
func TestPacerSteps(t *testing.T) {
	for _, tt := range []struct {
		name   string
		errs   []int     // failed calls of 1000, per update
		want   []float64 // scale after each update
		opts   []guard.PacerOption
		sample int // calls per update; 0 means 1000
	}{
		{name: "first step then growth", errs: []int{0, 0, 0, 0, 0, 0}, want: []float64{0.05, 0.1, 0.2, 0.4, 0.8, 1}},
		{name: "first step leaves the baseline's share", errs: []int{20}, want: []float64{0.03}},
		{name: "baseline above the target", errs: []int{60, 60}, want: []float64{0, 0}},
		{name: "toward the target burn", errs: []int{0, 0, 0, 60}, want: []float64{0.05, 0.1, 0.2, 0.2 * 0.5 / 0.6}},
		{name: "growth below the target", errs: []int{0, 0, 40}, want: []float64{0.05, 0.1, 0.125}},
		{name: "stop burn", errs: []int{0, 0, 85, 0}, want: []float64{0.05, 0.1, 0, 0.05}},
		{name: "stop off", opts: []guard.PacerOption{guard.WithStopBurn(-1)}, errs: []int{0, 0, 85}, want: []float64{0.05, 0.1, 0.1 * 0.5 / 0.85}},
		{name: "target burn", opts: []guard.PacerOption{guard.WithTargetBurn(0.2), guard.WithStopBurn(0.3)}, errs: []int{0, 0, 25}, want: []float64{0.02, 0.04, 0.032}},
		{name: "too few samples holds", sample: 50, errs: []int{0, 0}, want: []float64{0, 0.05}},
		{name: "min samples off", sample: 50, opts: []guard.PacerOption{guard.WithMinSamples(-1)}, errs: []int{0}, want: []float64{0.05}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := engineWith(t, "svc=error")
			w := probes.NewSampleWindow(1000)
			p := guard.NewPacer(e, w, 0.9, tt.opts...)
			n := tt.sample
			if n == 0 {
				n = 1000
			}
			for i, bad := range tt.errs {
				record(w, n-bad*n/1000, bad*n/1000)
				got, err := p.Update()
				if err != nil {
					t.Fatal(err)
				}
				if !near(got, tt.want[i]) || e.RateScale() != got {
					t.Fatalf("update %d: scale %v (engine %v), want %v", i, got, e.RateScale(), tt.want[i])
				}
			}
		})
	}
}

// near reports whether a and b are equal but for rounding.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestPacerEngineState: nothing armed (no plan, or the kill switch thrown)
// sets the scale to 0, and a new plan starts again from the first step.
func TestPacerEngineState(t *testing.T) {
	e := engineWith(t, "svc=error")
	w := probes.NewSampleWindow(1000)
	p := guard.NewPacer(e, w, 0.9)
	record(w, 1000, 0)
	for range 6 {
		p.Update()
	}
	if got := e.RateScale(); got != 1 {
		t.Fatalf("scale %v after six clean updates, want 1", got)
	}
	e.Disable("admin: bob")
	if got, _ := p.Update(); got != 0 || p.Status().Armed {
		t.Errorf("kill switch thrown: scale %v, status %+v, want 0 and not armed", got, p.Status())
	}
	e.Rearm("alice")
	if got, _ := p.Update(); got != 0 {
		t.Errorf("re-armed with no plan: scale %v, want 0", got)
	}
	if err := e.Apply(chaos.MustParsePlan("svc=error")); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.Update(); !near(got, 0.05) {
		t.Errorf("first update of a new plan: scale %v, want the first step 0.05", got)
	}
	if got, _ := p.Update(); !near(got, 0.1) {
		t.Errorf("second update: scale %v, want 0.1", got)
	}
	if err := e.Apply(chaos.MustParsePlan("svc=50%error")); err != nil { // replaced while armed
		t.Fatal(err)
	}
	if got, _ := p.Update(); !near(got, 0.05) {
		t.Errorf("update after the plan was replaced: scale %v, want the first step 0.05", got)
	}
}

// TestPacerSpan: with a window whose max age spans several intervals, the
// pacer grows from the lowest scale in force over that span.
func TestPacerSpan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engineWith(t, "svc=error")
		w := probes.NewSampleWindow(1000, probes.WithMaxAge(2500*time.Millisecond)) // three intervals
		p := guard.NewPacer(e, w, 0.9, guard.WithMinSamples(-1))
		var got []float64
		for range 6 {
			record(w, 10, 0)
			s, _ := p.Update()
			got = append(got, s)
			time.Sleep(time.Second)
		}
		// 0 is in force for two more intervals after the first step.
		want := []float64{0.05, 0.05, 0.05, 0.1, 0.1, 0.1}
		for i := range want {
			if !near(got[i], want[i]) {
				t.Fatalf("scales %v, want %v", got, want)
			}
		}
	})
}

// TestPacerRun: Run sets the scale to 0 when it starts, paces every
// interval, leaves the scale when it returns, and refuses what it cannot
// run.
func TestPacerRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engineWith(t, "svc=error")
		w := probes.NewSampleWindow(1000)
		record(w, 1000, 0)
		p := guard.NewPacer(e, w, 0.9, guard.WithInterval(time.Minute))
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { _ = p.Run(ctx) })
		synctest.Wait()
		if got := e.RateScale(); got != 0 {
			t.Errorf("scale %v once Run started, want 0", got)
		}
		if err := p.Run(ctx); !errors.Is(err, guard.ErrRunning) {
			t.Errorf("second Run: %v, want ErrRunning", err)
		}
		time.Sleep(3*time.Minute + time.Second)
		if got := e.RateScale(); !near(got, 0.2) {
			t.Errorf("scale %v after three intervals, want 0.2", got)
		}
		cancel()
		wg.Wait()
		if got, s := e.RateScale(), p.Status(); !near(got, 0.2) || s.Scale != got || s.Samples != 1000 || !s.Armed {
			t.Errorf("after Run: scale %v, status %+v, want 0.2 left as it was", got, s)
		}
	})
}

// TestPacerInvalid: Run and Update refuse, naming every problem, and
// change nothing.
func TestPacerInvalid(t *testing.T) {
	w := probes.NewSampleWindow(10)
	for _, tt := range []struct {
		name string
		w    *probes.SampleWindow
		slo  float64
		opts []guard.PacerOption
		want []string
	}{
		{"nil window", nil, 0.99, nil, []string{"window: nil"}},
		{"slo 1", w, 1, nil, []string{"slo: 1 is outside (0,1)"}},
		{"slo NaN and target", w, math.NaN(), []guard.PacerOption{guard.WithTargetBurn(2)}, []string{"slo: NaN", "target burn: 2 is above 1"}},
		{"stop above 1", w, 0.9, []guard.PacerOption{guard.WithStopBurn(1.5)}, []string{"stop burn: 1.5 is above 1"}},
		{"stop not above target", w, 0.9, []guard.PacerOption{guard.WithTargetBurn(0.8)}, []string{"stop burn: 0.8 is not above the target burn 0.8"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New()
			e.SetRateScale(0.5)
			p := guard.NewPacer(e, tt.w, tt.slo, tt.opts...)
			for _, err := range []error{p.Run(t.Context()), func() error { _, err := p.Update(); return err }()} {
				if !errors.Is(err, guard.ErrInvalid) {
					t.Fatalf("err %v, want ErrInvalid", err)
				}
				for _, s := range tt.want {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("err %q does not say %q", err, s)
					}
				}
			}
			if e.RateScale() != 0.5 {
				t.Errorf("scale %v, want 0.5 unchanged", e.RateScale())
			}
		})
	}
}
