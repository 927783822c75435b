package chaostest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/mix"
)

// Body is a test body that [Explore] and [Search] run once per plan: it
// builds the code under test on e (taking its points from e), exercises
// it, and returns an error if the code misbehaved. Injected faults are
// expected: the body returns an error only for what the code must not do
// even under faults (leave a transaction open, leak a goroutine, answer
// without retrying, call a dependency too often). A panic counts as an
// error. ctx ends when the run does.
type Body func(ctx context.Context, e *chaos.Engine) error

// Errors [Search] returns before it searches anything.
var (
	// ErrCleanRunFailed is matched by the error of a body that fails
	// with no fault injected: there is nothing for faults to explain.
	ErrCleanRunFailed = errors.New("chaostest: the body fails with no fault injected")
	// ErrNoPoints is returned for a body that evaluated no fault point,
	// when no points were listed (see [ExplorePoints]).
	ErrNoPoints = errors.New("chaostest: the body evaluated no fault point")
)

// Finding is what a search found: the smallest plan under which the body
// failed, or, when Err is nil, that no plan it tried did.
type Finding struct {
	// Plan is the smallest failing plan: shrunk from Found to the fewest
	// rules, then each rule to the fewest fires, the earliest calls, rate
	// 1, and the first fault and point. Zero when nothing failed.
	Plan chaos.Plan
	// Err is what the body returned under Plan; nil when nothing failed.
	Err error
	// Found is the first failing plan the search drew.
	Found chaos.Plan
	// Seed is the search's seed and that of every engine it made.
	Seed uint64
	// Points are the points searched, sorted as discovered.
	Points []string
	// Runs counts the plans tried, the failing one included; Shrinks the
	// runs of the body spent shrinking it.
	Runs, Shrinks int
	// Elapsed is how long the search and its shrinking took, on the
	// caller's clock (fake inside a testing/synctest bubble).
	Elapsed time.Duration
	// Partial reports that a bound (runs or time) stopped shrinking
	// before Plan was as small as it could be made.
	Partial bool
}

// Failed reports whether the search found a failing plan.
func (f *Finding) Failed() bool { return f != nil && f.Err != nil }

// neverLabel is carried by no call, so a rule that needs it arms a point
// (and counts its evaluations) without ever firing.
const neverLabel = "faultline.explore"

// Search looks for a plan of faults under which body fails, and shrinks
// the first it finds to the smallest: property-based testing with plans
// for inputs. It runs body once with every point armed by a rule that
// never fires (failing with [ErrCleanRunFailed] if body fails then, and
// learning the points it evaluates), then once per plan drawn from
// [Plans], each on a fresh engine made with the search's seed and
// deterministic counting, until a run fails or a bound is reached:
// [ExploreRuns] plans (100), [ExploreBudget] (a minute). Shrinking is
// bounded by [ExploreShrinkRuns] (300 runs) and the same budget.
//
// Given the same seed, options and a body that is deterministic for a
// seed, Search tries the same plans and returns the same Finding, so it
// works in a testing/synctest bubble as outside one. The runs are
// sequential, on the caller's goroutine. It returns an error only when it
// could not search, or ctx ended (with the Finding so far).
func Search(ctx context.Context, body Body, opts ...ExploreOption) (*Finding, error) {
	c := newExploreConfig(opts)
	s := &searcher{ctx: ctx, body: body, c: &c, start: time.Now(), results: map[string]result{}}
	f := &Finding{Seed: c.seed}
	defer func() { f.Elapsed = time.Since(s.start) }()

	points, err := s.discover()
	if err != nil {
		return f, err
	}
	c.points, f.Points = points, points
	gen := Plans(points, opts...)
	for i := 0; c.runs < 0 || i < c.runs; i++ {
		if err := ctx.Err(); err != nil {
			return f, err
		}
		if s.overBudget() {
			break
		}
		p := gen.Example(int(mix.Mix3(c.seed, uint64(i), 0x9e3779b97f4a7c15) >> 1))
		f.Runs++
		res, err := s.run(p)
		if err != nil {
			return f, err
		}
		if res.err == nil {
			continue
		}
		f.Found = p
		f.Plan, f.Err, f.Partial = s.shrink(p, res)
		f.Shrinks = s.shrinks
		return f, ctx.Err()
	}
	return f, nil
}

// result is what one run under a plan gave.
type result struct {
	err   error
	fired []uint64   // per rule
	seqs  [][]uint64 // per rule, the sequence numbers of its first fires
}

// maxSeqs is how many fires of a rule a run keeps the sequence numbers of.
const maxSeqs = 16

// fireLog records the sequence numbers of each rule's fires.
type fireLog struct {
	mu   sync.Mutex
	seqs [][]uint64
}

func (l *fireLog) NeverBlocks() {}

func (l *fireLog) Observe(_ context.Context, ev chaos.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ev.DryRun || ev.Rule < 0 || ev.Rule >= len(l.seqs) || len(l.seqs[ev.Rule]) >= maxSeqs {
		return
	}
	l.seqs[ev.Rule] = append(l.seqs[ev.Rule], ev.Seq)
}

type searcher struct {
	ctx     context.Context
	body    Body
	c       *exploreConfig
	start   time.Time
	shrinks int
	results map[string]result // by plan text: shrinking tries some twice
}

func (s *searcher) overBudget() bool {
	return s.c.budget > 0 && time.Since(s.start) >= s.c.budget
}

func (s *searcher) engine(opts ...chaos.Option) *chaos.Engine {
	opts = append([]chaos.Option{chaos.WithSeed(s.c.seed), chaos.WithDeterministic(true), chaos.WithInstance("test")}, opts...)
	return chaos.New(append(opts, s.c.engine...)...)
}

// discover runs the body with every point armed and nothing firing.
func (s *searcher) discover() ([]string, error) {
	e := s.engine()
	never := chaos.Rule{Point: "*", Fault: faults.Error("never"), Rate: 1, Labels: map[string]string{neverLabel: "never"}}
	if err := e.Apply(chaos.Plan{Rules: []chaos.Rule{never}}, chaos.FromSource("chaostest.Search")); err != nil {
		return nil, fmt.Errorf("chaostest: arming the points to find them: %w", err)
	}
	if err := s.call(e); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCleanRunFailed, err)
	}
	if len(s.c.points) > 0 {
		return s.c.points, nil
	}
	var points []string
	for _, ps := range e.Stats().Points {
		if ps.Evaluations > 0 {
			points = append(points, ps.Point)
		}
	}
	if len(points) == 0 {
		return nil, ErrNoPoints
	}
	return points, nil
}

// run runs the body under p, once per plan text.
func (s *searcher) run(p chaos.Plan) (result, error) {
	key := p.String()
	if r, ok := s.results[key]; ok {
		return r, nil
	}
	log := &fireLog{seqs: make([][]uint64, len(p.Rules))}
	e := s.engine(chaos.WithObserver(log))
	if err := e.Apply(p, chaos.FromSource("chaostest.Search")); err != nil {
		return result{}, fmt.Errorf("chaostest: applying plan %q: %w", key, err)
	}
	r := result{err: s.call(e)}
	for _, rs := range e.Stats().Rules {
		r.fired = append(r.fired, rs.Fired)
	}
	log.mu.Lock()
	r.seqs = log.seqs
	log.mu.Unlock()
	s.results[key] = r
	return r, nil
}

// call runs the body once on e, turning a panic into an error.
func (s *searcher) call(e *chaos.Engine) (err error) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return s.body(ctx, e)
}

// shrink makes p, which failed with res, as small as the bounds allow:
// first fewer rules (the rules of a point collapsed into one, then each
// rule left out) and the rules in the order of their points, then each
// rule simpler (see simpler), until no step fails. It reports whether a bound stopped it first.
func (s *searcher) shrink(p chaos.Plan, res result) (chaos.Plan, error, bool) {
	// accepted keeps shrinking from going round in circles.
	accepted := map[string]bool{p.String(): true}
	try := func(q chaos.Plan) (result, bool, bool) {
		if s.c.shrinks < 0 {
			return result{}, false, true
		}
		if accepted[q.String()] {
			return result{}, false, false
		}
		if _, seen := s.results[q.String()]; !seen {
			if s.shrinks >= s.c.shrinks || s.overBudget() || s.ctx.Err() != nil {
				return result{}, false, true
			}
			s.shrinks++
		}
		r, err := s.run(q)
		failed := err == nil && r.err != nil
		if failed {
			accepted[q.String()] = true
		}
		return r, failed, false
	}
	// shrinkTo tries q and, if it still fails, makes it the plan to shrink
	// further, reporting that it did. Once the shrink budget is spent it
	// sets stopped, and the loops below end with the plan they have.
	changed, stopped := true, false
	shrinkTo := func(q chaos.Plan) bool {
		r, failed, stop := try(q)
		stopped = stop
		if failed {
			p, res, changed = q, r, true
		}
		return failed
	}
	for changed && !stopped {
		changed = false
		for _, q := range append(collapsed(p, res.fired), sorted(p, s.c.points)) {
			if shrinkTo(q) || stopped {
				break
			}
		}
		for i := 0; !stopped && len(p.Rules) > 1 && i < len(p.Rules); i++ {
			q := chaos.Plan{Rules: append(append([]chaos.Rule(nil), p.Rules[:i]...), p.Rules[i+1:]...)}
			if shrinkTo(q) {
				i--
			}
		}
		for i := 0; !stopped && i < len(p.Rules); i++ {
			var fired uint64
			var seqs []uint64
			if i < len(res.fired) {
				fired, seqs = res.fired[i], res.seqs[i]
			}
			for _, rule := range simpler(p.Rules[i], fired, seqs, s.c) {
				q := chaos.ClonePlan(p)
				q.Rules[i] = rule
				if shrinkTo(q) || stopped {
					break
				}
			}
		}
	}
	return p, res.err, stopped
}

// collapsed returns, for each point that several rules of p name, p with
// those rules replaced by one at the place of the first: its point and
// fault, rate 1, capped at the fires they made together. Faults split
// over rules (2*error;1*error) so become one rule (3*error).
func collapsed(p chaos.Plan, fired []uint64) []chaos.Plan {
	var out []chaos.Plan
	for i, r := range p.Rules {
		if slices.ContainsFunc(p.Rules[:i], func(s chaos.Rule) bool { return s.Point == r.Point }) {
			continue // collapsed with an earlier one
		}
		var n uint64
		q := chaos.Plan{Version: p.Version}
		for j, s := range p.Rules {
			if s.Point != r.Point {
				q.Rules = append(q.Rules, s)
				continue
			}
			if j < len(fired) {
				n += fired[j]
			}
			if j == i {
				q.Rules = append(q.Rules, chaos.Rule{Point: r.Point, Fault: r.Fault, Rate: 1})
			}
		}
		if len(q.Rules) < len(p.Rules) && n > 0 && n <= math.MaxInt32 {
			q.Rules[slices.IndexFunc(q.Rules, func(s chaos.Rule) bool { return s.Point == r.Point })].Times = int(n)
			out = append(out, q)
		}
	}
	return out
}

// sorted returns p with its rules in the order of their points in points,
// keeping the order of rules that name the same point.
func sorted(p chaos.Plan, points []string) chaos.Plan {
	q := chaos.ClonePlan(p)
	slices.SortStableFunc(q.Rules, func(a, b chaos.Rule) int {
		return slices.Index(points, a.Point) - slices.Index(points, b.Point)
	})
	return q
}
