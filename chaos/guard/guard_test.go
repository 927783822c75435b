package guard_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/guard"
	"github.com/faultline-go/faultline/probes"
)

// record adds ok successes and bad failures to w.
func record(w *probes.SampleWindow, ok, bad int) {
	for range ok {
		w.Record(true, time.Millisecond)
	}
	for range bad {
		w.Record(false, time.Millisecond)
	}
}

// engineWith returns a seeded engine with plan applied ("" for none).
func engineWith(t testing.TB, plan string) *chaos.Engine {
	t.Helper()
	e := chaos.New(chaos.WithSeed(1))
	if plan != "" {
		if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// runGuard runs g until the returned stop is called, which waits for Run
// to return.
func runGuard(t *testing.T, g *guard.Guard) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// TestGuardTripsWithinOneInterval: a breach while faults are armed throws
// the kill switch within one interval, with the probe, what it observed
// and its threshold in the engine's reason and the guard's status; the
// guard does not re-arm once the probe recovers, and guards again once a
// person has.
func TestGuardTripsWithinOneInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 5 * time.Second
		e := engineWith(t, "checkout=10%error")
		w := probes.NewSampleWindow(100)
		g := guard.New(e, guard.WithInterval(interval),
			guard.WithProbe(w.SuccessRatioAtLeast("checkout ≥ 99%", 0.99, 10)))
		record(w, 100, 0)
		stop := runGuard(t, g)
		defer stop()

		time.Sleep(interval + time.Millisecond) // two rounds, both fine
		synctest.Wait()
		if e.Disabled() {
			t.Fatalf("kill switch thrown while the probe passes: %q", e.Active().DisabledReason)
		}
		if s := g.Status(); s.Checks != 2 || s.Trips != 0 {
			t.Fatalf("status %+v, want 2 checks and no trip", s)
		}

		record(w, 0, 20) // the breach, just after a round
		breachAt := time.Now()
		time.Sleep(interval)
		synctest.Wait()
		if !e.Disabled() {
			t.Fatal("kill switch not thrown one interval after the breach")
		}
		a := e.Active()
		want := "guard: checkout ≥ 99%: success ratio 0.8 over 100 calls, 80 ok (want >= 0.99)"
		if a.DisabledReason != want {
			t.Errorf("reason %q, want %q", a.DisabledReason, want)
		}
		s := g.Status()
		if s.Trips != 1 || s.LastTrip.Reason != want || s.LastTrip.At.Sub(breachAt) > interval {
			t.Errorf("status %+v, want one trip within %v of the breach", s, interval)
		}
		if b := s.LastTrip.Breach; b.Probe != "checkout ≥ 99%" || b.Value != 0.8 || b.Threshold != 0.99 || b.OK {
			t.Errorf("breach %+v, want the probe, value 0.8 and threshold 0.99", b)
		}

		record(w, 100, 0) // the probe recovers: nothing re-arms
		time.Sleep(10 * interval)
		synctest.Wait()
		if !e.Disabled() || e.Active().DisabledReason != want {
			t.Fatalf("kill switch re-armed or reason changed after the probe recovered: %+v", e.Active().KillSwitch)
		}

		e.Rearm("alice") // a person re-arms and applies again; the guard watches again
		if err := e.Apply(chaos.MustParsePlan("checkout=10%error")); err != nil {
			t.Fatal(err)
		}
		record(w, 0, 50)
		time.Sleep(interval)
		synctest.Wait()
		if !e.Disabled() || g.Status().Trips != 2 {
			t.Errorf("second breach after the re-arm: disabled %v, trips %d, want thrown and 2", e.Disabled(), g.Status().Trips)
		}
	})
}

// TestGuardLeavesAlone: the guard throws nothing while nothing is armed,
// and never overwrites the reason of a kill switch someone else threw.
func TestGuardLeavesAlone(t *testing.T) {
	for _, tt := range []struct {
		name    string
		plan    string
		killBy  string
		checked bool
	}{
		{name: "no plan", plan: ""},
		{name: "zero-rate plan", plan: "checkout=0%error"},
		{name: "kill switch already thrown", plan: "checkout=error", killBy: "admin: bob"},
		{name: "probes pass", plan: "checkout=error", checked: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := engineWith(t, tt.plan)
			if tt.killBy != "" {
				e.Disable(tt.killBy)
			}
			ok := tt.checked
			g := guard.New(e, guard.WithProbe(probes.Func("svc", func(context.Context) error {
				if ok {
					return nil
				}
				return errors.New("down")
			})))
			if g.Check(t.Context()) {
				t.Error("Check reported a trip")
			}
			a := e.Active()
			if a.Disabled != (tt.killBy != "") || a.DisabledReason != tt.killBy {
				t.Errorf("kill switch %+v, want thrown %v by %q", a.KillSwitch, tt.killBy != "", tt.killBy)
			}
			s := g.Status()
			if got := s.Checks == 1; got != tt.checked || s.Skipped+s.Checks != 1 || s.Trips != 0 {
				t.Errorf("status %+v, want checked %v and no trip", s, tt.checked)
			}
		})
	}
}

// TestGuardReason: the kill switch's reason names the probe and what it
// saw, with the error when what it saw does not say what it wanted.
func TestGuardReason(t *testing.T) {
	w := probes.NewSampleWindow(10)
	record(w, 1, 1)
	for _, tt := range []struct {
		name  string
		probe probes.Probe
		want  string
	}{
		{"window", w.SuccessRatioAtLeast("ok", 0.9, 1), "guard: ok: success ratio 0.5 over 2 calls, 1 ok (want >= 0.9)"},
		{"func", probes.Func("db", func(context.Context) error { return errors.New("connection refused") }), "guard: db: failed in 0s: connection refused"},
		{"nil window", (*probes.SampleWindow)(nil).LatencyAtMost("p99", 0.99, time.Second, 1), "guard: p99: not checked: probes: nil *SampleWindow"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { // fake time: the func takes 0s
				e := engineWith(t, "x=error")
				g := guard.New(e, guard.WithProbe(probes.Func("fine", func(context.Context) error { return nil })), guard.WithProbe(tt.probe))
				if !g.Check(t.Context()) {
					t.Fatal("Check did not trip")
				}
				if got := e.Active().DisabledReason; got != tt.want {
					t.Errorf("reason %q, want %q", got, tt.want)
				}
				if r := g.Status().Results; len(r) != 2 || !r[0].OK || r[1].OK {
					t.Errorf("results %+v, want the first ok and the second failed", r)
				}
			})
		})
	}
}

// TestGuardRunErrors: Run refuses a guard without probes, and a second Run.
func TestGuardRunErrors(t *testing.T) {
	if err := guard.New(nil).Run(t.Context()); !errors.Is(err, guard.ErrInvalid) || !strings.Contains(err.Error(), "no probes") {
		t.Errorf("Run without probes: %v, want ErrInvalid", err)
	}
	synctest.Test(t, func(t *testing.T) {
		g := guard.New(engineWith(t, ""), guard.WithProbe(probes.Func("f", func(context.Context) error { return nil })))
		stop := runGuard(t, g)
		synctest.Wait()
		if err := g.Run(t.Context()); !errors.Is(err, guard.ErrRunning) {
			t.Errorf("second Run: %v, want ErrRunning", err)
		}
		stop()
	})
}

// TestGuardCancelledRoundJudgesNothing: checks cut short by Run ending do
// not throw the kill switch.
func TestGuardCancelledRoundJudgesNothing(t *testing.T) {
	e := engineWith(t, "x=error")
	ctx, cancel := context.WithCancel(t.Context())
	g := guard.New(e, guard.WithProbe(probes.Func("slow", func(ctx context.Context) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	})))
	if g.Check(ctx) || e.Disabled() {
		t.Error("a check cut short by the end of ctx threw the kill switch")
	}
}
