package chaos

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/mix"
)

// Point is a named place in the code where faults can be injected. Get one
// from [Engine.Point] and keep it; its methods are safe for concurrent use,
// and a nil *Point does nothing.
//
// While no rule names the point, evaluating it costs one atomic load and a
// nil check, with no allocation and no shared write.
type Point struct {
	binding atomic.Pointer[binding] // nil while no rule applies
	evals   atomic.Uint64           // evaluations while armed; also the sequence
	name    string
	hash    uint64
	eng     *Engine
	fired   [faults.NumKinds]atomic.Uint64
	dry     atomic.Uint64
}

// binding is a point's immutable view of the active rules that name it.
type binding struct {
	base    uint64 // evals when the plan was applied; sequence n = evals - base
	rules   []boundRule
	policy  *compiledPolicy
	dryRun  bool
	windows bool
}

type boundRule struct {
	c     *compiledRule
	err   *faults.InjectedError // made once per point and rule
	fired atomic.Uint64         // fires at this point under this plan
}

// compiledRule is a Rule ready for evaluation.
type compiledRule struct {
	index     int
	rule      Rule
	threshold uint64
	salt      uint64
	after     uint64
	every     uint64
	times     uint64
	labels    []Label
	expires   time.Time
}

func compileRule(i int, r Rule, now time.Time) *compiledRule {
	c := &compiledRule{
		index:     i,
		rule:      r,
		threshold: mix.Threshold(r.Rate),
		salt:      mix.Mix(uint64(i) + 0x5bd1e995),
		after:     uint64(r.After),
		every:     uint64(r.Every),
		times:     uint64(r.Times),
	}
	for k, v := range r.Labels {
		c.labels = append(c.labels, Label{Key: k, Value: v})
	}
	if r.TTL > 0 {
		c.expires = now.Add(r.TTL)
	}
	if !r.Until.IsZero() && (c.expires.IsZero() || r.Until.Before(c.expires)) {
		c.expires = r.Until
	}
	return c
}

// Name returns the point's name.
func (p *Point) Name() string {
	if p == nil {
		return ""
	}
	return p.name
}

// Armed reports whether a rule names the point, that is, whether evaluating
// it does more than one atomic load. Middleware uses it to skip work, such
// as gathering labels, that only a rule needs.
func (p *Point) Armed() bool {
	return p != nil && p.binding.Load() != nil
}

// Inject evaluates the point and applies what fires: it waits out latency
// (returning ctx.Err() if the context ends first), blocks on a hang until
// the context is done, panics for a panic fault, and returns the injected
// error for every other kind. It returns nil when nothing fires.
func (p *Point) Inject(ctx context.Context) error {
	if p == nil {
		return nil
	}
	b := p.binding.Load()
	if b == nil {
		return nil
	}
	return p.eval(ctx, nil, b).Apply(ctx)
}

// Decide evaluates the point and returns what fires without applying it,
// for middleware that applies transport faults itself. Labels for the
// rules come from ctx (see [WithLabels]).
func (p *Point) Decide(ctx context.Context) Decision {
	if p == nil {
		return Decision{}
	}
	b := p.binding.Load()
	if b == nil {
		return Decision{}
	}
	return p.eval(ctx, nil, b)
}

// DecideLabels is [Point.Decide] with labels given directly, on top of those
// in ctx. It saves middleware a context allocation per call.
func (p *Point) DecideLabels(ctx context.Context, labels ...Label) Decision {
	if p == nil {
		return Decision{}
	}
	b := p.binding.Load()
	if b == nil {
		return Decision{}
	}
	return p.eval(ctx, labels, b)
}

// eval is the armed path.
func (p *Point) eval(ctx context.Context, extra []Label, b *binding) Decision {
	e := p.eng
	if e.killed.Load() {
		return Decision{}
	}
	n := p.evals.Add(1) - b.base
	for i := range b.rules {
		r := &b.rules[i]
		c := r.c
		if n <= c.after || (c.every > 1 && (n-c.after)%c.every != 0) {
			continue
		}
		if c.labels != nil && !matchLabels(ctx, extra, c.labels) {
			continue
		}
		var h uint64
		if c.rule.Sticky != "" {
			v, ok := lookup(ctx, extra, c.rule.Sticky)
			if !ok {
				continue
			}
			h = mix.Mix3(e.seed, 0x57a1c4e7, mix.String(v))
		} else {
			h = mix.Mix3(e.seed^p.hash, c.salt, n)
		}
		if !mix.Below(h, c.threshold) {
			continue
		}
		if !c.expires.IsZero() || b.windows {
			now := time.Now()
			if (!c.expires.IsZero() && !now.Before(c.expires)) || (b.windows && !b.policy.open(now)) {
				continue
			}
		}
		if !r.take(c.times) {
			continue
		}
		return p.fire(ctx, extra, b, r, n, h)
	}
	return Decision{}
}

// take counts a fire against the rule's cap, and reports false if the cap
// is reached. It is exact under contention.
func (r *boundRule) take(limit uint64) bool {
	if limit == 0 {
		r.fired.Add(1)
		return true
	}
	for {
		f := r.fired.Load()
		if f >= limit {
			return false
		}
		if r.fired.CompareAndSwap(f, f+1) {
			return true
		}
	}
}

// fire records a fault that fires and returns the decision.
func (p *Point) fire(ctx context.Context, extra []Label, b *binding, r *boundRule, n, h uint64) Decision {
	f := &r.c.rule.Fault
	if b.dryRun {
		p.dry.Add(1)
	} else {
		p.fired[f.Kind].Add(1)
	}
	e := p.eng
	if obs := e.observers.Load(); obs != nil {
		ev := Event{
			Point:  p.name,
			Rule:   r.c.index,
			Fault:  *f,
			Seq:    n,
			Time:   time.Now(),
			Labels: allLabels(ctx, extra),
			DryRun: b.dryRun,
		}
		for _, o := range *obs {
			o.Observe(ctx, ev)
		}
	}
	if e.logger != nil && e.logger.Enabled(ctx, debugLevel) {
		e.logger.DebugContext(ctx, "faultline: fault fired", "point", p.name, "rule", r.c.index, "fault", f.String(), "seq", n, "dry_run", b.dryRun)
	}
	if b.dryRun {
		return Decision{}
	}
	return Decision{point: p, fault: f, err: r.err, delay: f.Duration(mix.Mix(h)), rule: r.c.index, seq: n}
}

// Decision is what a point decided for one call. The zero Decision is
// "nothing fires". Decisions are small values, safe to copy.
type Decision struct {
	point *Point
	fault *faults.Fault
	err   *faults.InjectedError
	delay time.Duration
	rule  int
	seq   uint64
}

// Fired reports whether a fault fires.
func (d Decision) Fired() bool { return d.fault != nil }

// Fault returns the fault that fires, or the zero Fault.
func (d Decision) Fault() faults.Fault {
	if d.fault == nil {
		return faults.Fault{}
	}
	return *d.fault
}

// Kind returns the kind of the fault that fires, or faults.KindNone.
func (d Decision) Kind() faults.Kind {
	if d.fault == nil {
		return faults.KindNone
	}
	return d.fault.Kind
}

// Err returns the injected error for this fault (matching
// faults.ErrInjected), or nil when nothing fires. Middleware returns it
// for kinds it does not apply itself.
func (d Decision) Err() error {
	if d.err == nil {
		return nil
	}
	return d.err
}

// Delay returns how long a latency fault waits, jitter included.
func (d Decision) Delay() time.Duration { return d.delay }

// Rule returns the index in the plan of the rule that fired, or -1.
func (d Decision) Rule() int {
	if d.fault == nil {
		return -1
	}
	return d.rule
}

// Seq returns the sequence number of the call at its point since the plan
// was applied, counting from 1; 0 when nothing fires.
func (d Decision) Seq() uint64 { return d.seq }

// Point returns the name of the point that decided, or "".
func (d Decision) Point() string { return d.point.Name() }

// Apply carries out the decision as [Point.Inject] does, and returns nil
// when nothing fires.
func (d Decision) Apply(ctx context.Context) error {
	if d.fault == nil {
		return nil
	}
	switch d.fault.Kind {
	case faults.KindLatency:
		return faults.Sleep(ctx, d.delay)
	case faults.KindHang:
		<-ctx.Done()
		return ctx.Err()
	case faults.KindPanic:
		panic(d.err)
	}
	return d.err
}
