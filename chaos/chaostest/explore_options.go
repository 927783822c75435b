package chaostest

import (
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// Defaults of the search that [Explore] and [Search] run.
const (
	// DefaultExploreRuns is how many plans a search tries at most.
	DefaultExploreRuns = 100
	// DefaultShrinkRuns is how many runs of the body shrinking a failing
	// plan may take at most.
	DefaultShrinkRuns = 300
	// DefaultExploreBudget is how long a search and its shrinking may take.
	DefaultExploreBudget = time.Minute
	// DefaultExploreRules is the most rules a drawn plan holds.
	DefaultExploreRules = 3
)

// ExploreOption configures [Explore], [Search] and [Plans].
type ExploreOption interface {
	applyExplore(*exploreConfig)
}

type exploreOptionFunc func(*exploreConfig)

func (f exploreOptionFunc) applyExplore(c *exploreConfig) { f(c) }

type exploreConfig struct {
	points  []string
	faults  []faults.Fault
	runs    int
	shrinks int
	budget  time.Duration
	rules   int
	seed    uint64
	seeded  bool
	engine  []chaos.Option
}

func newExploreConfig(opts []ExploreOption) exploreConfig {
	var c exploreConfig
	for _, o := range opts {
		if o != nil {
			o.applyExplore(&c)
		}
	}
	if len(c.faults) == 0 {
		c.faults = []faults.Fault{faults.Error("")}
	}
	if c.runs == 0 {
		c.runs = DefaultExploreRuns
	}
	if c.shrinks == 0 {
		c.shrinks = DefaultShrinkRuns
	}
	if c.budget == 0 {
		c.budget = DefaultExploreBudget
	}
	if c.rules <= 0 {
		c.rules = DefaultExploreRules
	}
	if !c.seeded {
		c.seed = 1
	}
	return c
}

// ExplorePoints lists the points the search draws rules for. Without it,
// the search runs the body once with every point armed by a rule that
// never fires and searches the points that run evaluated.
func ExplorePoints(names ...string) ExploreOption {
	names = append([]string(nil), names...)
	return exploreOptionFunc(func(c *exploreConfig) { c.points = names })
}

// ExploreFaults lists the faults a drawn rule may inject, simplest first:
// shrinking prefers the earlier ones. The default is a plain error
// (faults.Error("")), which costs no time. Latency and hang faults are
// opt-in because outside a testing/synctest bubble they wait in real time
// (a hang without a bound of its own waits up to
// [faults.DefaultHangLimit]); panic faults because only code that recovers
// from panics survives them.
func ExploreFaults(fs ...faults.Fault) ExploreOption {
	fs = append([]faults.Fault(nil), fs...)
	return exploreOptionFunc(func(c *exploreConfig) { c.faults = fs })
}

// ExploreRuns bounds how many plans the search tries before it gives up:
// zero means [DefaultExploreRuns]; a negative n sets no bound, leaving
// the time budget ([ExploreBudget]) as the only one; with both off, a
// search that finds nothing runs until its context ends.
func ExploreRuns(n int) ExploreOption {
	return exploreOptionFunc(func(c *exploreConfig) { c.runs = n })
}

// ExploreShrinkRuns bounds how many runs of the body shrinking a failing
// plan may take: zero means [DefaultShrinkRuns]; a negative n turns
// shrinking off, so the plan found first is reported.
func ExploreShrinkRuns(n int) ExploreOption {
	return exploreOptionFunc(func(c *exploreConfig) { c.shrinks = n })
}

// ExploreBudget bounds how long the search and its shrinking take, on the
// clock of the caller (inside a testing/synctest bubble, the bubble's fake
// clock, which moves only when the body waits): zero means
// [DefaultExploreBudget]; a negative d sets no bound, leaving the runs
// bounds as the only ones. A run that has started is never cut short: the
// budget is checked between runs.
func ExploreBudget(d time.Duration) ExploreOption {
	return exploreOptionFunc(func(c *exploreConfig) { c.budget = d })
}

// ExploreRules sets the most rules a drawn plan holds: zero or less means
// [DefaultExploreRules].
func ExploreRules(n int) ExploreOption {
	return exploreOptionFunc(func(c *exploreConfig) { c.rules = n })
}

// ExploreSeed sets the seed of the search: it chooses the plans drawn and
// is the seed of every engine the body is given. [Search] defaults to 1;
// [Explore] to [Seed] of its test (the -faultline.seed flag, or a hash of
// the test's name).
func ExploreSeed(seed uint64) ExploreOption {
	return exploreOptionFunc(func(c *exploreConfig) { c.seed, c.seeded = seed, true })
}

// ExploreEngine adds options to every engine the search makes, after its
// own (a seed and deterministic counting), as a policy or a logger.
func ExploreEngine(opts ...chaos.Option) ExploreOption {
	opts = append([]chaos.Option(nil), opts...)
	return exploreOptionFunc(func(c *exploreConfig) { c.engine = append(c.engine, opts...) })
}
