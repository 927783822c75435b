package guard_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/guard"
	"github.com/faultline-go/faultline/probes"
)

// service is a simulated service fed into an SLI window: every call fails
// with the baseline's chance, or else with the chance of an injected fault,
// the plan's rate (after the policy) times the engine's rate scale. Errors
// are counted, not drawn, so the window's error ratio is the model's to
// within one call per interval.
type service struct {
	e   *chaos.Engine
	w   *probes.SampleWindow
	acc float64 // errors owed, carried across calls
}

// serve records n calls at baseline b, and returns the share of calls a
// fault was injected into (the effective rate).
func (s *service) serve(n int, b float64) (rate float64) {
	if p := s.e.Plan(); len(p.Rules) > 0 {
		rate = p.Rules[0].Rate * s.e.RateScale()
	}
	ratio := b + (1-b)*rate
	for range n {
		s.acc += ratio
		ok := s.acc < 1
		if !ok {
			s.acc--
		}
		s.w.Record(ok, time.Millisecond)
	}
	return rate
}

// TestPacerKeepsTheSLO drives a simulated service for minutes of fake time
// under a Pacer, with a drawn SLO, policy, plan rate and baselines, and
// checks that:
//
//  1. the effective rate never exceeds the plan's rate or the policy's;
//  2. while the baseline holds still below the SLO's limit, the window's
//     error ratio never exceeds 1-SLO, whatever the plan's rate;
//  3. once the baseline falls, the scale recovers to 1 if the whole plan
//     fits under the target burn;
//  4. as the baseline then climbs past the limit, the scale is 0 in every
//     interval whose error ratio exceeds 1-SLO: it reached zero first.
func TestPacerKeepsTheSLO(t *testing.T) {
	const (
		interval = time.Second
		perStep  = 100 // calls per tenth of an interval
	)
	rapid.Check(t, func(rt *rapid.T) {
		slo := rapid.Float64Range(0.9, 0.99).Draw(rt, "slo")
		maxRate := rapid.SampledFrom([]float64{0, 0.01, 0.05, 0.2, 1}).Draw(rt, "policyMaxRate")
		rate := rapid.OneOf(rapid.Float64Range(0, 1), rapid.Float64Range(0, 0.05)).Draw(rt, "planRate")
		budget := 1 - slo
		held := rapid.Float64Range(0, 0.95).Draw(rt, "heldBaselineBurn") * budget
		heldFor := rapid.IntRange(5, 20).Draw(rt, "heldIntervals")
		fallen := rapid.Float64Range(0, 0.1).Draw(rt, "fallenBaselineBurn") * budget
		climb := rapid.Float64Range(0.05, 0.1).Draw(rt, "climbBurnPerInterval") * budget

		rapid.SyncTest(rt, func(rt *rapid.T) {
			e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.Policy{MaxRate: maxRate, Clamp: true}))
			if err := e.Apply(chaos.Plan{Rules: []chaos.Rule{{Point: "svc", Fault: chaos.MustParsePlan("x=error").Rules[0].Fault, Rate: rate}}}); err != nil {
				rt.Fatal(err)
			}
			planRate := e.Plan().Rules[0].Rate
			if planRate > rate || (maxRate > 0 && planRate > maxRate) {
				rt.Fatalf("plan rate %v after the policy, above the plan's %v or the policy's %v", planRate, rate, maxRate)
			}
			w := probes.NewSampleWindow(1024, probes.WithMaxAge(interval))
			svc := &service{e: e, w: w}
			p := guard.NewPacer(e, w, slo, guard.WithInterval(interval))
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { _ = p.Run(ctx) })
			defer func() { cancel(); wg.Wait() }()

			// runInterval serves one interval's calls between two of the
			// pacer's updates, and returns its error ratio and the highest
			// effective rate.
			runInterval := func(b float64) (errRatio, rate float64) {
				time.Sleep(interval / 20)
				for j := range 10 {
					if j > 0 {
						time.Sleep(interval / 10)
					}
					rate = max(rate, svc.serve(perStep, b))
				}
				time.Sleep(interval / 20)
				// At the pacer's next update the window holds this
				// interval's calls only: it reads what we read.
				st := w.Snapshot()
				if st.Count != 10*perStep {
					rt.Fatalf("window holds %d calls, want this interval's %d", st.Count, 10*perStep)
				}
				return float64(st.Count-st.Successes) / float64(st.Count), rate
			}
			check := func(phase string, k int, b, errRatio, rate float64) {
				if rate > planRate+1e-12 || (maxRate > 0 && rate > maxRate+1e-12) {
					rt.Fatalf("%s interval %d: effective rate %v above the plan's %v or the policy's %v", phase, k, rate, planRate, maxRate)
				}
				// One call's worth of slack: the simulated baseline fails a
				// whole number of calls per step, which can round its
				// share of an interval just above the drawn burn.
				if errRatio > budget+1.0/(10*perStep) && (phase != "climb" || rate > 0) {
					rt.Fatalf("%s interval %d: error ratio %v over the budget %v at baseline %v and effective rate %v (scale %v)",
						phase, k, errRatio, budget, b, rate, e.RateScale())
				}
			}
			for k := range heldFor {
				r, eff := runInterval(held)
				check("held", k, held, r, eff)
			}
			for k := range 20 {
				r, eff := runInterval(fallen)
				check("fallen", k, fallen, r, eff)
			}
			if full := fallen + (1-fallen)*planRate; planRate > 0 && full <= 0.9*guard.DefaultTargetBurn*budget {
				if s := e.RateScale(); s != 1 {
					rt.Fatalf("scale %v after the baseline fell to %v, want 1: the whole plan (error ratio %v) fits under the target burn", s, fallen, full)
				}
			}
			b := fallen
			for k := 0; b < 1.3*budget; k++ {
				b += climb
				r, eff := runInterval(b)
				check("climb", k, b, r, eff)
			}
			if s := p.Status(); s.Scale != 0 {
				rt.Fatalf("scale %v with the baseline past the budget, want 0", s.Scale)
			}
		})
	})
}
