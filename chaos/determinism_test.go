package chaos_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"pgregory.net/rapid"
)

// detPoints are the points the determinism properties call.
var detPoints = []string{"a", "b", "c.x", "c.y"}

// detTenants are the label values the serial property's calls carry.
var detTenants = []string{"", "acme", "globex", "initech"}

// genDetRule draws a rule over detPoints. Rules may match labels and be
// sticky on "tenant", but never expire: expiry depends on the clock.
func genDetRule() *rapid.Generator[chaos.Rule] {
	return rapid.Custom(func(t *rapid.T) chaos.Rule {
		r := chaos.Rule{
			Point:     rapid.SampledFrom([]string{"a", "b", "c.*", "c.x", "*"}).Draw(t, "point"),
			Fault:     genFault().Draw(t, "fault"),
			Rate:      genShare().Draw(t, "rate"),
			Times:     rapid.OneOf(rapid.Just(0), rapid.IntRange(1, 30)).Draw(t, "times"),
			After:     rapid.OneOf(rapid.Just(0), rapid.IntRange(1, 30)).Draw(t, "after"),
			Every:     rapid.IntRange(0, 5).Draw(t, "every"),
			Instances: rapid.SampledFrom([]float64{0, 0.5, 1}).Draw(t, "instances"),
		}
		switch rapid.IntRange(0, 3).Draw(t, "label use") {
		case 1:
			r.Labels = map[string]string{"tenant": rapid.SampledFrom(detTenants[1:]).Draw(t, "tenant")}
		case 2:
			r.Sticky = "tenant"
		}
		return r
	})
}

// pointStats is the part of a point's Stats that a run decides.
type pointStats struct {
	Evaluations, Fired, DryRun uint64
	ByKind                     map[faults.Kind]uint64
}

func statsByPoint(e *chaos.Engine) map[string]pointStats {
	m := make(map[string]pointStats)
	for _, ps := range e.Stats().Points {
		m[ps.Point] = pointStats{ps.Evaluations, ps.Fired, ps.DryRun, ps.ByKind}
	}
	return m
}

func equalStats(a, b map[string]pointStats) bool {
	return maps.EqualFunc(a, b, func(x, y pointStats) bool {
		return x.Evaluations == y.Evaluations && x.Fired == y.Fired && x.DryRun == y.DryRun && maps.Equal(x.ByKind, y.ByKind)
	})
}

// uncapLaterShared drops Times from a rule that a later rule shares a point
// with. Which racing calls take a capped rule's fires depends on their
// order, and so do the calls it leaves to later rules (see Rule.Times);
// the concurrent property holds for every other plan.
func uncapLaterShared(p chaos.Plan) chaos.Plan {
	for i := range p.Rules {
		for j := i + 1; j < len(p.Rules) && p.Rules[i].Times > 0; j++ {
			for _, name := range detPoints {
				if chaos.Match(p.Rules[i].Point, name) && chaos.Match(p.Rules[j].Point, name) {
					p.Rules[i].Times = 0
					break
				}
			}
		}
	}
	return p
}

// runConcurrently makes calls[name] unlabelled Decide calls at each point
// from goroutines goroutines, interleaved however the scheduler likes.
func runConcurrently(e *chaos.Engine, calls map[string]int, goroutines int) {
	var work []*chaos.Point
	for _, name := range detPoints {
		for range calls[name] {
			work = append(work, e.Point(name))
		}
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := g; i < len(work); i += goroutines {
				_ = work[i].Decide(context.Background())
			}
		})
	}
	wg.Wait()
}

// TestPropDeterministicConcurrent: same seed, same plan, same number of
// calls per point ⇒ the same faults per point, whatever the interleaving
// of goroutines and of the other points.
func TestPropDeterministicConcurrent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		instance := rapid.SampledFrom([]string{"pod-1", "pod-2", "pod-3"}).Draw(t, "instance")
		plan := uncapLaterShared(chaos.Plan{Rules: rapid.SliceOfN(genDetRule(), 1, 5).Draw(t, "rules")})
		calls := make(map[string]int)
		for _, name := range detPoints {
			calls[name] = rapid.IntRange(0, 300).Draw(t, "calls at "+name)
		}
		run := func(goroutines int) map[string]pointStats {
			e := chaos.New(chaos.WithSeed(seed), chaos.WithInstance(instance))
			if err := e.Apply(plan); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			runConcurrently(e, calls, goroutines)
			return statsByPoint(e)
		}
		serial := run(1)
		for _, g := range []int{16, 16} {
			if got := run(g); !equalStats(got, serial) {
				t.Fatalf("plan %q, seed %d: %d goroutines gave\n%v\none gave\n%v", plan, seed, g, got, serial)
			}
		}
	})
}

// call is one call in the serial property: a point and the tenant label
// it carries ("" for none).
type call struct{ point, tenant string }

// TestPropDeterministicSerial: the same calls in the same order give the
// same per-point sequence of (seq, rule, kind), labels, sticky rules and
// caps included.
func TestPropDeterministicSerial(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		plan := chaos.Plan{Rules: rapid.SliceOfN(genDetRule(), 1, 5).Draw(t, "rules")}
		calls := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) call {
			return call{rapid.SampledFrom(detPoints).Draw(t, "point"), rapid.SampledFrom(detTenants).Draw(t, "tenant")}
		}), 0, 400).Draw(t, "calls")
		run := func() map[string][]string {
			e := chaos.New(chaos.WithSeed(seed), chaos.WithInstance("pod-1"))
			if err := e.Apply(plan); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			seqs := make(map[string][]string)
			for _, c := range calls {
				var labels []chaos.Label
				if c.tenant != "" {
					labels = []chaos.Label{{Key: "tenant", Value: c.tenant}}
				}
				if d := e.Point(c.point).DecideLabels(context.Background(), labels...); d.Fired() {
					seqs[c.point] = append(seqs[c.point], fmt.Sprintf("%d:%d:%v", d.Seq(), d.Rule(), d.Kind()))
				}
			}
			return seqs
		}
		first, second := run(), run()
		if !maps.EqualFunc(first, second, slices.Equal) {
			t.Fatalf("plan %q, seed %d: two runs differ\n%v\n%v", plan, seed, first, second)
		}
	})
}

// TestDifferentSeedsDiffer: seeds change which calls fire.
func TestDifferentSeedsDiffer(t *testing.T) {
	plan := chaos.MustParsePlan("a=50%error;b=30%delay(1s);c.*=10%abort")
	seqs := func(seed uint64) []string {
		e := chaos.New(chaos.WithSeed(seed))
		if err := e.Apply(plan); err != nil {
			t.Fatal(err)
		}
		return decisions(e, 100, "a", "b", "c.x")
	}
	for seed := range uint64(20) {
		if slices.Equal(seqs(seed), seqs(seed+1000)) {
			t.Errorf("seeds %d and %d made the same 300 decisions", seed, seed+1000)
		}
		if !slices.Equal(seqs(seed), seqs(seed)) {
			t.Errorf("seed %d made different decisions twice", seed)
		}
	}
}
