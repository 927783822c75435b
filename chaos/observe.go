package chaos

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/faultline-go/faultline/faults"
)

const debugLevel = slog.LevelDebug

// Event tells an [Observer] of a fault that fired, or would have fired in
// dry-run mode.
type Event struct {
	// Point is the point's name.
	Point string
	// Rule is the index in the plan of the rule that fired: in the
	// directive's plan when Directive is set.
	Rule int
	// Directive is the id of the directive whose rule fired (see
	// [Engine.AcceptDirective]), or "" for a rule of the engine's plan.
	Directive string
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

// Observer is told of every fault that fires. Observe runs before the
// fault is applied, and the call waits for it, with the call's context (so
// an observer can reach the current span). It must be fast, must not
// block, must be safe for concurrent use, and must not call back into the
// point. Unless every observer is an [InlineObserver], observers run on a
// goroutine of their own so that the kill switch can release a call whose
// observer blocks; it may then hear of a fire just after Disable returned,
// which the call does not inject. A panic in an observer is recovered,
// counted and logged once, and never reaches the call.
type Observer interface {
	Observe(ctx context.Context, ev Event)
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(ctx context.Context, ev Event)

// Observe calls f(ctx, ev).
func (f ObserverFunc) Observe(ctx context.Context, ev Event) { f(ctx, ev) }

// InlineObserver is an [Observer] that promises never to block: it only
// records, into memory it owns or a span. The engine calls an inline
// observer on the call's own goroutine, which costs no allocation; any
// other observer runs on a goroutine of its own, so that the kill switch
// can release a call whose observer blocks.
type InlineObserver interface {
	Observer
	// NeverBlocks marks the observer as inline; it is never called.
	NeverBlocks()
}

// observerSet is the immutable list of observers, published whole.
type observerSet struct {
	list   []Observer
	inline bool // every observer is an InlineObserver
}

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
		for _, x := range old.list {
			if w, ok := x.(*observerID); !ok || w != id {
				obs = append(obs, x)
			}
		}
		e.storeObservers(obs)
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
		obs = slices.Clone(old.list)
	}
	e.storeObservers(append(obs, id))
	return id
}

// storeObservers publishes obs, or no set when it is empty.
func (e *Engine) storeObservers(obs []Observer) {
	if len(obs) == 0 {
		e.observers.Store(nil)
		return
	}
	set := &observerSet{list: obs, inline: true}
	for _, o := range obs {
		if _, ok := o.(*observerID).Observer.(InlineObserver); !ok {
			set.inline = false
		}
	}
	e.observers.Store(set)
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
	// Absorbed counts the injected errors that resilience code absorbed: a
	// retry or a fallback succeeded after them (see faults.Absorbed).
	Absorbed uint64 `json:"absorbed,omitempty"`
	// Escaped counts the injected errors that reached the caller of
	// resilience code (see faults.Escaped). Errors injected where no
	// resilience code looks are in neither count.
	Escaped uint64 `json:"escaped,omitempty"`
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
	// Unused reports a rule that can fire on this instance, has been
	// applied for longer than [WithUnusedRuleAfter] (a minute by default),
	// and named no point that was evaluated since: most often a point name
	// that matches nothing the service calls.
	Unused bool `json:"unused,omitempty"`
}

// Stats is a snapshot of an engine's counters.
type Stats struct {
	// Points holds every point ever created, sorted by name.
	Points []PointStats `json:"points"`
	// Rules holds every rule of the active plan ([Engine.Plan]), in plan
	// order: none while the kill switch is thrown.
	Rules []RuleStats `json:"rules"`
	// ObserverPanics counts the panics recovered from observers.
	ObserverPanics uint64 `json:"observer_panics,omitempty"`
	// Directives counts the directives requests brought, accepted and
	// refused (see [Engine.AcceptDirective]).
	Directives DirectiveStats `json:"directives,omitzero"`
}

// Stats returns a snapshot of the counters of every point and of every rule
// of the active plan. Counters move while it reads them, so the snapshot
// is consistent per counter, not across them. It takes no engine lock, so
// it never holds up calls, Apply or the kill switch.
func (e *Engine) Stats() Stats {
	s := Stats{ObserverPanics: e.obsPanics.Load(), Directives: e.DirectiveStats()}
	var rules []Rule
	if a := e.active.Load(); a != nil && !e.killed.Load() {
		rules = a.Plan.Rules
	}
	s.Rules = make([]RuleStats, len(rules))
	for i, r := range rules {
		s.Rules[i] = RuleStats{Rule: i, Point: r.Point}
	}
	e.points.Range(func(_, v any) bool {
		s.Points = append(s.Points, v.(*Point).stats(s.Rules))
		return true
	})
	slices.SortFunc(s.Points, func(a, b PointStats) int { return strings.Compare(a.Point, b.Point) })
	e.markUnused(s.Rules)
	return s
}

// markUnused sets Unused on the rules that can fire here, have been
// applied for long enough, and were not evaluated at any point.
func (e *Engine) markUnused(rules []RuleStats) {
	d, a, live := e.unusedAfterOrDefault(), e.active.Load(), e.live.Load()
	if d < 0 || a == nil || live == nil || time.Since(a.Applied) < d {
		return
	}
	for i := range rules {
		if i < len(live.all) && live.all[i] != nil && rules[i].Evaluations == 0 {
			rules[i].Unused = true
		}
	}
}

// Stats returns the point's counters, as [Engine.Stats] reports them,
// without reading any other point's. A nil *Point has none.
func (p *Point) Stats() PointStats {
	if p == nil {
		return PointStats{}
	}
	return p.stats(nil)
}

// stats returns the point's counters, and adds its share to the counters
// of the rules that name it.
func (p *Point) stats(rules []RuleStats) PointStats {
	ps := PointStats{Point: p.name, DryRun: p.dry.Load(), Evaluations: p.evaluations(),
		Absorbed: p.absorbed.Load(), Escaped: p.escaped.Load()}
	for k := range p.fired {
		if n := p.firedOf(faults.Kind(k)); n > 0 {
			if ps.ByKind == nil {
				ps.ByKind = make(map[faults.Kind]uint64)
			}
			ps.ByKind[faults.Kind(k)] = n
			ps.Fired += n
		}
	}
	b := p.loadBinding()
	if b == nil || len(b.rules) == 0 || p.eng.killed.Load() {
		return ps
	}
	ps.Armed = true
	n := ps.Evaluations - b.base
	for i := range b.rules {
		r := &b.rules[i]
		if idx := r.c.index; idx < len(rules) {
			rules[idx].Points++
			rules[idx].Evaluations += n
			if b.countRules {
				rules[idx].Fired += r.fired.Load()
			} else {
				rules[idx].Fired += p.stripesFired() - b.firedBase
			}
		}
	}
	return ps
}

// notify tells every observer of ev. Inline observers run on the call's
// goroutine; otherwise the observers run on a goroutine of their own, which
// the call waits for unless the kill switch is thrown first, so that an
// observer that blocks cannot hold a call past Disable. An observer that
// panics is recovered, counted ([Stats].ObserverPanics) and logged once;
// the call goes on.
func (e *Engine) notify(ctx context.Context, set *observerSet, ev Event) {
	if set.inline {
		for _, o := range set.list {
			e.observe(ctx, o, &ev)
		}
		return
	}
	e.notifyAsync(ctx, set, ev)
}

// notifyAsync runs the observers on a goroutine of their own. It is apart
// from notify so that the event escapes to the heap only on this path.
func (e *Engine) notifyAsync(ctx context.Context, set *observerSet, ev Event) {
	kill := e.signal().ch
	if e.killed.Load() {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, o := range set.list {
			e.observe(ctx, o, &ev)
		}
	}()
	select {
	case <-done:
	case <-kill:
	}
}

// observe calls o, recovering a panic.
func (e *Engine) observe(ctx context.Context, o Observer, ev *Event) {
	defer func() {
		if v := recover(); v != nil {
			e.obsPanics.Add(1)
			if e.obsLogged.CompareAndSwap(false, true) {
				e.log().Error("faultline: an observer panicked; further panics are counted, not logged", "point", ev.Point, "panic", fmt.Sprint(v))
			}
		}
	}()
	o.Observe(ctx, *ev)
}
