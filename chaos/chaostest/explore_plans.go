package chaostest

import (
	"math"
	"slices"

	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos"
)

// The ranges a drawn rule's counts and rate come from. They are small on
// purpose: the bugs faults find take a fault or a few, early.
var (
	maxDrawnTimes = 3
	maxDrawnAfter = 3
	maxDrawnEvery = 3
	// drawnRates are simplest first: a rule at rate 1 fires on every call
	// it is eligible for, which is the easiest to read and replay.
	drawnRates = []float64{1, 0.5, 0.2}
)

// Plans returns a rapid generator of plans over points: one to
// [ExploreRules] rules (3 by default), each naming one of points and one
// of the faults of [ExploreFaults] (a plain error by default), with a cap
// of 1 to 3 fires or none, an After of 0 to 3, an Every of 0, 2 or 3 and a
// rate of 100%, 50% or 20%. Every draw is labelled ("rules", "point",
// "fault", "times", "uncapped", "after", "every", "rate"), and each shrinks
// toward the simpler value: fewer rules, the first point and fault, one
// fire, the earliest calls, rate 1.
//
// Use it in a rapid property of your own, where rapid shrinks and replays
// (-rapid.seed); [Search] and [Explore] draw from it too, but shrink the
// plan themselves so that they stay bounded and deterministic for a seed.
// Plans panics if points is empty.
func Plans(points []string, opts ...ExploreOption) *rapid.Generator[chaos.Plan] {
	if len(points) == 0 {
		panic("chaostest: Plans needs at least one point")
	}
	c := newExploreConfig(opts)
	points = slices.Clone(points)
	rule := rapid.Custom(func(t *rapid.T) chaos.Rule {
		r := chaos.Rule{
			Point: rapid.SampledFrom(points).Draw(t, "point"),
			Fault: rapid.SampledFrom(c.faults).Draw(t, "fault"),
			Times: rapid.IntRange(1, maxDrawnTimes).Draw(t, "times"),
		}
		if rapid.Bool().Draw(t, "uncapped") {
			r.Times = 0
		}
		r.After = rapid.IntRange(0, maxDrawnAfter).Draw(t, "after")
		if r.Every = rapid.IntRange(1, maxDrawnEvery).Draw(t, "every"); r.Every == 1 {
			r.Every = 0
		}
		r.Rate = rapid.SampledFrom(drawnRates).Draw(t, "rate")
		return r
	})
	return rapid.Custom(func(t *rapid.T) chaos.Plan {
		return chaos.Plan{Rules: rapid.SliceOfN(rule, 1, c.rules).Draw(t, "rules")}
	})
}

// simpler returns the rules one step simpler than r, simplest first, in
// order of what a reader cares most about: fewer fires, earlier calls,
// every call, a sure rate, the first fault, the first point. fired is how
// often r fired in the failing run, and seqs the calls its first fires
// hit (their sequence numbers at the point).
//
// First come rules at rate 1 that fire on a run of consecutive calls
// starting at one that r hit: one fire at each, then two, and so on, then
// as many as r made from its first. They keep the fires that mattered and
// drop the rest, whatever r's rate, After and Every were. Then come rules
// that differ from r in one field, lowered: an uncapped rule capped at up
// to the fires it made (which fires on the same calls), a lower cap, a
// lower After, Every 0, a surer rate, an earlier fault, an earlier point.
func simpler(r chaos.Rule, fired uint64, seqs []uint64, c *exploreConfig) []chaos.Rule {
	var out []chaos.Rule
	with := func(f func(*chaos.Rule)) {
		s := r
		f(&s)
		if !s.Equal(r) {
			out = append(out, s)
		}
	}
	for m := 1; m <= len(seqs); m++ {
		for j, seq := range seqs {
			if (m < len(seqs) && j+m <= len(seqs)) || (m == len(seqs) && j == 0) {
				if seq-1 <= math.MaxInt32 {
					with(func(s *chaos.Rule) {
						*s = chaos.Rule{Point: r.Point, Fault: r.Fault, Rate: 1, Times: m, After: int(seq - 1)}
					})
				}
			}
		}
	}
	// Times: 1, 2, … up to one below the cap; an uncapped rule tries caps
	// up to the fires it made, which is sure to fail as it did.
	top := r.Times - 1
	if r.Times == 0 {
		top = int(min(fired, 64))
	}
	for n := 1; n <= top; n++ {
		with(func(s *chaos.Rule) { s.Times = n })
	}
	for n := 0; n < r.After; n++ {
		with(func(s *chaos.Rule) { s.After = n })
	}
	for n := 0; n < r.Every; n++ {
		if n != 1 { // Every 1 means what 0 does
			with(func(s *chaos.Rule) { s.Every = n })
		}
	}
	if i := slices.Index(drawnRates, r.Rate); i != 0 {
		for j := 0; j < i || (i < 0 && j < len(drawnRates)); j++ {
			with(func(s *chaos.Rule) { s.Rate = drawnRates[j] })
		}
	}
	if i := slices.Index(c.faults, r.Fault); i > 0 {
		for j := range i {
			with(func(s *chaos.Rule) { s.Fault = c.faults[j] })
		}
	}
	if i := slices.Index(c.points, r.Point); i > 0 {
		for j := range i {
			with(func(s *chaos.Rule) { s.Point = c.points[j] })
		}
	}
	return out
}
