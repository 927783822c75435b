// Package chaostest helps tests use faultline: an engine seeded per test
// whose seed is printed when the test fails, plans enabled for the rest of a
// test and restored at cleanup, a check that every rule of such a plan
// named a point the test evaluated, a search for the smallest plan of
// faults that breaks a test ([Explore], [Search]), and waits on a point's
// counts that need no sleep ([WaitEvaluated], [WaitFired]).
//
// Run a failing test again with the seed it printed:
//
//	go test -run TestCheckout -faultline.seed=1234567
//
// Time-dependent tests should run in a testing/synctest bubble, where a
// latency fault of a minute passes in no real time:
//
//	synctest.Test(t, func(t *testing.T) {
//		e := chaostest.New(t)
//		chaostest.Enable(t, e, "db.query=delay(1m)")
//		start := time.Now()
//		_ = e.Point("db.query").Inject(ctx) // returns at once in real time
//		// time.Since(start) == time.Minute
//	})
package chaostest

import (
	"flag"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/mix"
)

var seedFlag = flag.Uint64("faultline.seed", 0, "seed for faultline engines made by chaostest.New (0: a fixed seed per test name)")

// Seed returns the seed [New] gives t's engine: the -faultline.seed flag
// when set, otherwise a hash of the test's name, so that a test sees the
// same faults every run.
func Seed(t testing.TB) uint64 {
	if *seedFlag != 0 {
		return *seedFlag
	}
	return mix.String(t.Name())
}

// New returns an engine seeded with [Seed] (opts may override it) and
// arranges for the seed to be logged if t fails, so the failure replays.
func New(t testing.TB, opts ...chaos.Option) *chaos.Engine {
	t.Helper()
	e := chaos.New(append([]chaos.Option{chaos.WithSeed(Seed(t)), chaos.WithInstance("test")}, opts...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("faultline: engine seed %d; replay with -faultline.seed=%d", e.Seed(), e.Seed())
		}
	})
	return e
}

// Enable applies plan, in text form (see [chaos.ParsePlan]) or JSON, to e
// for the rest of the test, and restores at cleanup what was active before:
// the previous plan, no plan, or the kill switch. It fails the test at once
// if the plan does not parse or apply, and at cleanup, unless the test has
// already failed, if a rule named no point that was evaluated: a typo that
// silently tested nothing (a rule at rate 0, which the engine leaves out
// and so cannot see evaluated, is not checked). The previous plan is
// applied afresh, so its counts and TTLs restart.
//
// The engine is the test's own, so Enable may turn its kill switch off:
// if the switch is thrown when Enable is called, Enable re-arms the engine
// (by "chaostest") and cleanup throws it again; if the test throws it
// while the plan is on, cleanup re-arms the engine (by "chaostest
// cleanup") before it restores the previous plan. Do not use Enable on an
// engine that serves anything but the test.
func Enable(t testing.TB, e *chaos.Engine, plan string) {
	t.Helper()
	p, err := chaos.ParsePlan(plan)
	if err != nil {
		t.Fatalf("faultline: %v", err)
	}
	EnablePlan(t, e, p)
}

// EnablePlan is [Enable] for a plan already built.
func EnablePlan(t testing.TB, e *chaos.Engine, p chaos.Plan) {
	t.Helper()
	prev := e.Active()
	if prev.Disabled {
		e.Rearm("chaostest")
	}
	before := make(map[string]uint64)
	for _, ps := range e.Stats().Points {
		before[ps.Point] = ps.Evaluations
	}
	if err := e.Apply(p, chaos.FromSource("test")); err != nil {
		if prev.Disabled {
			e.Disable(prev.DisabledReason) // as it was
		}
		t.Fatalf("faultline: %v", err)
	}
	t.Cleanup(func() {
		t.Helper()
		// A test that failed already says more than this check would.
		if !t.Failed() {
			points := e.Stats().Points
			for i, r := range p.Rules {
				if r.Rate > 0 && !evaluated(points, before, r.Point) {
					t.Errorf("faultline: rule %d (point %q) named no point that was evaluated while the plan was enabled", i, r.Point)
				}
			}
		}
		if e.Disabled() && !prev.Disabled {
			e.Rearm("chaostest cleanup")
		}
		if err := e.Restore(prev); err != nil {
			t.Errorf("faultline: restoring the previous plan (faults now disabled): %v", err)
		}
	})
}

// evaluated reports whether a point that pattern matches was evaluated
// since its count was before.
func evaluated(points []chaos.PointStats, before map[string]uint64, pattern string) bool {
	for _, ps := range points {
		if chaos.Match(pattern, ps.Point) && ps.Evaluations > before[ps.Point] {
			return true
		}
	}
	return false
}
