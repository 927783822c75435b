package chaos

import (
	"context"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/mix"
	"github.com/faultline-go/faultline/internal/wait"
)

// Point is a named place in the code where faults can be injected. Get one
// from [Engine.Point] and keep it; its methods are safe for concurrent use,
// and a nil *Point does nothing.
//
// While no rule names the point, evaluating it costs one atomic load and a
// nil check, with no allocation and no shared write.
type Point struct {
	// binding is the *binding of the rules that name the point, nil while
	// none does. It is an unsafe.Pointer read with atomic.LoadPointer, not
	// an atomic.Pointer, because the generic wrapper costs the inliner
	// enough to keep Inject and Decide from inlining (see
	// TestHotPathInlines).
	binding unsafe.Pointer
	// evals counts evaluations while armed and is also the sequence. The
	// counts by kind follow it, so that a fire of the common kinds writes
	// the one cache line every armed call writes anyway.
	evals atomic.Uint64
	fired [faults.NumKinds]atomic.Uint64
	dry   atomic.Uint64
	// absorbed and escaped count what became of the injected errors (see
	// faults.Absorbed); they are written only by resilience code.
	absorbed atomic.Uint64
	escaped  atomic.Uint64
	name     string
	hash     uint64
	eng      *Engine
	// stripes are the striped sequences, made the first time the point is
	// bound to rules that may decide on them (see [WithDeterministic]).
	stripes atomic.Pointer[[]stripe]
	// gate is closed by Release to let the calls paused at the point go
	// on, and replaced by a fresh one; nil until first needed.
	gate   atomic.Pointer[chan struct{}]
	paused atomic.Int64 // calls waiting at the gate
}

// binding is a point's immutable view of the active rules that name it.
type binding struct {
	point   *Point
	seq     *atomic.Uint64 // the exact sequence: the point's evals, or a directive's own count at the point
	base    uint64         // *seq when the plan was applied; sequence n = *seq - base
	stripes []stripe       // the point's stripes, or nil to decide on the exact sequence
	shift   uint8          // log2(len(stripes))
	mask    uint64         // len(stripes) - 1
	// countRules makes each fire add to its rule's count at the point. A
	// striped binding with one rule and no cap does without that shared
	// write: its rule's fires are the stripes' fires since firedBase.
	countRules bool
	firedBase  uint64
	rules      []boundRule
	policy     *compiledPolicy
	dryRun     bool
	windows    bool
	// scoped makes calls look for a directive in their context first (see
	// Engine.AcceptDirective); the binding of a point that no rule of the
	// plan names then has no rules.
	scoped bool
	scope  *scope // the directive whose rules these are, or nil for the plan's
}

// boundRule is a rule as one point evaluates it. The fields the per-call
// path reads are copied out of the compiled rule so that a call that does
// not fire touches one cache line per rule.
type boundRule struct {
	key       uint64        // the draw for call n is mix.Mix(key ^ n), or ^ the sticky value's hash
	threshold atomic.Uint64 // the rate as a threshold, after the policy's and the pacing's scale
	rate      float64       // the rate before the pacing's scale
	after     uint64
	every     uint64
	times     uint64
	sticky    bool // decide on the Sticky label's value, not on n
	labels    bool // the rule matches labels
	expires   bool // the rule has an expiry to check when it would fire
	c         *compiledRule
	fired     *atomic.Uint64                       // fires at this point under this plan
	injected  atomic.Pointer[faults.InjectedError] // made on the first fire
	// more holds the injected errors of a rule's other choices, made on
	// the first fire of any of them.
	more atomic.Pointer[[]atomic.Pointer[faults.InjectedError]]
}

// err returns the injected error of the rule's choice i at point p, made on
// the first fire so that a large plan costs no error per point it never
// fires at.
func (r *boundRule) err(p *Point, i int) *faults.InjectedError {
	slot := &r.injected
	if i > 0 {
		more := r.more.Load()
		if more == nil {
			s := make([]atomic.Pointer[faults.InjectedError], len(r.c.alts)-1)
			r.more.CompareAndSwap(nil, &s)
			more = r.more.Load()
		}
		slot = &(*more)[i-1]
	}
	if e := slot.Load(); e != nil {
		return e
	}
	slot.CompareAndSwap(nil, faults.NewInjectedError(p.name, r.c.alts[i].fault).WithOutcomes(outcomes{p}))
	return slot.Load()
}

// loadBinding returns the point's binding, or nil.
func (p *Point) loadBinding() *binding { return (*binding)(atomic.LoadPointer(&p.binding)) }

// storeBinding publishes b as the point's binding. The engine's mu is held.
func (p *Point) storeBinding(b *binding) { atomic.StorePointer(&p.binding, unsafe.Pointer(b)) }

// Name returns the point's name.
func (p *Point) Name() string {
	if p == nil {
		return ""
	}
	return p.name
}

// Armed reports whether a rule names the point and the kill switch is not
// thrown, that is, whether evaluating it may fire. Middleware uses it to
// skip work, such as gathering labels, that only a rule needs.
func (p *Point) Armed() bool {
	if p == nil {
		return false
	}
	b := p.loadBinding()
	return b != nil && len(b.rules) > 0 && !p.eng.killed.Load()
}

// Inject evaluates the point and applies what fires: it waits out latency
// (returning ctx.Err() if the context ends first), blocks on a hang until
// the context is done (returning ctx.Err()) or its bound has passed
// (returning the injected error), panics for a panic fault, and returns the
// injected error for every other kind. It returns nil when nothing fires.
// The kill switch ([Engine.Disable]) ends a latency or hang wait at once,
// and Inject then returns nil: the call goes on as if nothing had fired.
func (p *Point) Inject(ctx context.Context) error {
	// Small enough to inline (TestHotPathInlines): a disarmed point costs
	// the caller one atomic load and a nil check.
	if p != nil {
		if b := (*binding)(atomic.LoadPointer(&p.binding)); b != nil {
			return b.inject(ctx)
		}
	}
	return nil
}

// Decide evaluates the point and returns what fires without applying it,
// for middleware that applies transport faults itself. Labels for the
// rules come from ctx (see [WithLabels]).
func (p *Point) Decide(ctx context.Context) Decision {
	if p != nil {
		if b := (*binding)(atomic.LoadPointer(&p.binding)); b != nil {
			return b.decide(ctx, nil)
		}
	}
	return Decision{}
}

// DecideLabels is [Point.Decide] with labels given directly, on top of those
// in ctx. It saves middleware a context allocation per call.
func (p *Point) DecideLabels(ctx context.Context, labels ...Label) Decision {
	if p != nil {
		if b := (*binding)(atomic.LoadPointer(&p.binding)); b != nil {
			return b.decide(ctx, labels)
		}
	}
	return Decision{}
}

// inject is the armed path of Inject. It applies what fires without
// building a Decision.
func (b *binding) inject(ctx context.Context) error {
	p := b.point
	if b.scoped {
		if sb := p.scopedBinding(ctx); sb != nil && len(sb.rules) > 0 {
			if r, n, h := p.eval(ctx, nil, sb); r != nil {
				return sb.injectRule(ctx, r, n, h)
			}
		}
		if len(b.rules) == 0 {
			return nil
		}
	}
	r, n, h := p.eval(ctx, nil, b)
	if r == nil {
		return nil
	}
	return b.injectRule(ctx, r, n, h)
}

// injectRule applies what rule r decided for call n with the draw h.
func (b *binding) injectRule(ctx context.Context, r *boundRule, n, h uint64) error {
	p := b.point
	i := r.c.pick(h)
	a := &r.c.alts[i]
	if !p.fire(ctx, nil, b, r, a, n, h) {
		return nil
	}
	return p.apply(ctx, a, a.wait(h), r.err(p, i))
}

// decide is the armed path of Decide and DecideLabels.
func (b *binding) decide(ctx context.Context, extra []Label) Decision {
	p := b.point
	if b.scoped {
		if sb := p.scopedBinding(ctx); sb != nil && len(sb.rules) > 0 {
			if r, n, h := p.eval(ctx, extra, sb); r != nil {
				return sb.decideRule(ctx, extra, r, n, h)
			}
		}
		if len(b.rules) == 0 {
			return Decision{}
		}
	}
	r, n, h := p.eval(ctx, extra, b)
	if r == nil {
		return Decision{}
	}
	return b.decideRule(ctx, extra, r, n, h)
}

// decideRule returns the decision rule r made for call n with the draw h.
func (b *binding) decideRule(ctx context.Context, extra []Label, r *boundRule, n, h uint64) Decision {
	p := b.point
	i := r.c.pick(h)
	a := &r.c.alts[i]
	if !p.fire(ctx, extra, b, r, a, n, h) {
		return Decision{}
	}
	return Decision{point: p, alt: a, err: r.err(p, i), delay: a.wait(h), rule: r.c.index, seq: n}
}

// wait returns how long the fault waits for the draw h that fired it: a
// latency fault's delay (jitter included, or drawn from its distribution
// and capped), a hang or pause fault's bound, or a squeeze fault's new
// deadline from now; 0 for other kinds.
func (a *alt) wait(h uint64) time.Duration {
	switch a.fault.Kind {
	case faults.KindLatency:
		d := a.fault.Duration(mix.Mix(h))
		if a.bound > 0 && d > a.bound {
			d = a.bound
		}
		return d
	case faults.KindHang, faults.KindPause:
		return a.bound
	case faults.KindSqueeze:
		return a.fault.Delay
	}
	return 0
}

// apply carries out the fault a that fired at p, as Inject documents:
// latency, hang and squeeze wait d, and pause waits for Release, each
// until ctx is done or the kill switch is thrown.
func (p *Point) apply(ctx context.Context, a *alt, d time.Duration, err *faults.InjectedError) error {
	e := p.eng
	switch k := a.fault.Kind; k {
	case faults.KindLatency, faults.KindHang, faults.KindSqueeze:
		if k == faults.KindSqueeze && d == 0 {
			return err // cancel: the call's context ends now
		}
		if e.sleep(ctx, d) && k != faults.KindLatency {
			return err
		}
		return ctx.Err()
	case faults.KindPause:
		return p.pause(ctx, d, err)
	case faults.KindCustom:
		if a.fn == nil || e.killed.Load() {
			return nil
		}
		if cause := a.fn(ctx, p.name); cause != nil {
			return err.WithCause(cause)
		}
		return nil
	case faults.KindPanic:
		panic(err)
	}
	return err
}

// sleep waits d, or until ctx is done or the kill switch is thrown, and
// reports whether the whole of d passed.
func (e *Engine) sleep(ctx context.Context, d time.Duration) bool {
	kill := e.signal().ch
	return !e.killed.Load() && wait.For(ctx, d, kill)
}

// eval decides call n at the point: it returns the rule that fires, with
// its fire already counted against the rule's cap, the call's sequence
// number and the draw that decided it; or a nil rule when none fires.
func (p *Point) eval(ctx context.Context, extra []Label, b *binding) (*boundRule, uint64, uint64) {
	if p.eng.killed.Load() {
		return nil, 0, 0
	}
	var n uint64
	if b.stripes == nil {
		n = b.seq.Add(1) - b.base
	} else {
		// A striped call: the stripe is chosen by the address of the
		// calling goroutine's stack, so that a goroutine, which mostly
		// stays on one core, keeps writing the same cache line, and
		// goroutines on other cores mostly write others. n is unique to
		// the call; its low bits name the stripe.
		var anchor byte
		i := uint64(uintptr(unsafe.Pointer(&anchor))>>11) & b.mask
		n = b.stripes[i].evals.Add(1)<<b.shift | i
	}
	for i := range b.rules {
		r := &b.rules[i]
		if n <= r.after || (r.every > 1 && (n-r.after)%r.every != 0) {
			continue
		}
		if r.labels && !matchLabels(ctx, extra, r.c.labels) {
			continue
		}
		x := n
		if r.sticky {
			v, ok := lookup(ctx, extra, r.c.rule.Sticky)
			if !ok {
				continue
			}
			x = mix.String(v)
		}
		h := mix.Mix(r.key ^ x)
		if !mix.Below(h, r.threshold.Load()) {
			continue
		}
		if r.expires || b.windows {
			now := time.Now()
			if (r.expires && !now.Before(r.c.expires)) || (b.windows && !b.policy.open(now)) {
				continue
			}
		}
		if !b.countRules || r.take() {
			return r, n, h
		}
	}
	return nil, 0, 0
}

// take counts a fire against the rule's cap, and reports false if the cap
// is reached. It is exact under contention.
func (r *boundRule) take() bool {
	limit := r.times
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

// fire records a fault that fires: it counts it, tells the observers and
// logs it. It reports whether the fault is to be injected, which it is not
// in dry-run mode.
func (p *Point) fire(ctx context.Context, extra []Label, b *binding, r *boundRule, a *alt, n, h uint64) bool {
	f := &a.fault
	switch {
	case b.dryRun:
		p.dry.Add(1)
	case b.stripes != nil:
		b.stripes[n&(uint64(len(b.stripes))-1)].fired[f.Kind].Add(1)
	default:
		p.fired[f.Kind].Add(1)
	}
	e := p.eng
	if obs := e.observers.Load(); obs != nil {
		var id string
		if b.scope != nil {
			id = b.scope.d.ID
		}
		e.notify(ctx, obs, Event{
			Directive: id,
			Point:     p.name,
			Rule:      r.c.index,
			Fault:     *f,
			Seq:       n,
			Delay:     a.wait(h),
			Time:      time.Now(),
			Labels:    allLabels(ctx, extra),
			DryRun:    b.dryRun,
		})
		if e.killed.Load() {
			return false
		}
	}
	if e.logger != nil && e.logger.Enabled(ctx, debugLevel) {
		var id string
		if b.scope != nil {
			id = b.scope.d.ID
		}
		e.logger.DebugContext(ctx, "faultline: fault fired", "point", p.name, "rule", r.c.index, "fault", f.String(), "seq", n, "dry_run", b.dryRun, "directive", id)
	}
	return !b.dryRun
}

// outcomes counts at a point what became of its injected errors.
type outcomes struct{ p *Point }

func (o outcomes) Absorbed() { o.p.absorbed.Add(1) }
func (o outcomes) Escaped()  { o.p.escaped.Add(1) }
