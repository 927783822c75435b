package chaos

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/faultline-go/faultline/faults"
)

const debugLevel = slog.LevelDebug

// Event tells an [Observer] of a fault that fired, or would have fired in
// dry-run mode.
type Event struct {
	// Point is the point's name.
	Point string
	// Rule is the index in the plan of the rule that fired.
	Rule int
	// Fault is what fired.
	Fault faults.Fault
	// Seq is the call's sequence number at the point since the plan was
	// applied, counting from 1.
	Seq uint64
	// Delay is how long a latency fault waits, jitter included; 0 for
	// other kinds.
	Delay time.Duration
	// Time is when it fired.
	Time time.Time
	// Labels are the labels the call carried. Observers must not modify
	// them.
	Labels []Label
	// DryRun reports that the policy's dry-run mode kept the fault from
	// being injected.
	DryRun bool
}

// Observer is told of every fault that fires. Observe runs on the call's
// goroutine, before the fault is applied, with the call's context (so an
// observer can reach the current span); it must be fast and safe for
// concurrent use, and must not call back into the point.
type Observer interface {
	Observe(ctx context.Context, ev Event)
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(ctx context.Context, ev Event)

// Observe calls f(ctx, ev).
func (f ObserverFunc) Observe(ctx context.Context, ev Event) { f(ctx, ev) }

// AddObserver adds o to the observers told of every fault that fires, and
// returns a function that removes it.
func (e *Engine) AddObserver(o Observer) (remove func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.addObserver(o)
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		old := e.observers.Load()
		if old == nil {
			return
		}
		var obs []Observer
		for _, x := range *old {
			if w, ok := x.(*observerID); !ok || w != id {
				obs = append(obs, x)
			}
		}
		if len(obs) == 0 {
			e.observers.Store(nil)
		} else {
			e.observers.Store(&obs)
		}
	}
}

// observerID wraps an observer so that removal finds it even when the same
// observer (or an uncomparable one) was added twice.
type observerID struct{ Observer }

// addObserver publishes a copy of the observer list with o added.
func (e *Engine) addObserver(o Observer) *observerID {
	id := &observerID{o}
	var obs []Observer
	if old := e.observers.Load(); old != nil {
		obs = slices.Clone(*old)
	}
	obs = append(obs, id)
	e.observers.Store(&obs)
	return id
}

// PointStats counts what happened at one point.
type PointStats struct {
	// Point is the point's name.
	Point string `json:"point"`
	// Armed reports whether a rule names the point now.
	Armed bool `json:"armed"`
	// Evaluations counts calls evaluated while a rule named the point;
	// calls while it was disarmed cost nothing and are not counted.
	Evaluations uint64 `json:"evaluations"`
	// Fired counts the faults injected, of every kind.
	Fired uint64 `json:"fired"`
	// ByKind counts the faults injected by kind; kinds that never fired
	// are left out.
	ByKind map[faults.Kind]uint64 `json:"by_kind,omitempty"`
	// DryRun counts the faults that would have fired in dry-run mode.
	DryRun uint64 `json:"dry_run,omitempty"`
}

// RuleStats counts what one rule of the active plan did, over every point
// it names, since the plan was applied.
type RuleStats struct {
	// Rule is the rule's index in the plan.
	Rule int `json:"rule"`
	// Point is the rule's point pattern.
	Point string `json:"point"`
	// Points counts the points the rule names.
	Points int `json:"points"`
	// Evaluations counts calls evaluated at those points.
	Evaluations uint64 `json:"evaluations"`
	// Fired counts the rule's fires (dry-run ones included).
	Fired uint64 `json:"fired"`
}

// Stats is a snapshot of an engine's counters.
type Stats struct {
	// Points holds every point ever created, sorted by name.
	Points []PointStats `json:"points"`
	// Rules holds every rule of the active plan ([Engine.Plan]), in plan
	// order: none while the kill switch is thrown.
	Rules []RuleStats `json:"rules"`
}

// Stats returns a snapshot of the counters of every point and of every rule
// of the active plan. Counters move while it reads them, so the snapshot
// is consistent per counter, not across them.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	var s Stats
	rules := e.active.Plan.Rules
	if e.killed.Load() {
		rules = nil
	}
	s.Rules = make([]RuleStats, len(rules))
	for i, r := range rules {
		s.Rules[i] = RuleStats{Rule: i, Point: r.Point}
	}
	e.points.Range(func(_, v any) bool {
		p := v.(*Point)
		ps := PointStats{Point: p.name, DryRun: p.dry.Load()}
		ps.Evaluations = p.evals.Load()
		for k := range p.fired {
			if n := p.fired[k].Load(); n > 0 {
				if ps.ByKind == nil {
					ps.ByKind = make(map[faults.Kind]uint64)
				}
				ps.ByKind[faults.Kind(k)] = n
				ps.Fired += n
			}
		}
		if b := p.loadBinding(); b != nil {
			ps.Armed = true
			n := ps.Evaluations - b.base
			for i := range b.rules {
				r := &b.rules[i]
				if idx := r.c.index; idx < len(s.Rules) {
					s.Rules[idx].Points++
					s.Rules[idx].Evaluations += n
					s.Rules[idx].Fired += r.fired.Load()
				}
			}
		}
		s.Points = append(s.Points, ps)
		return true
	})
	sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].Point < s.Points[j].Point })
	return s
}
