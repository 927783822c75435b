package chaos

import (
	"context"
	"math/rand/v2"
	"runtime"
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
}

// stripe is one of a point's striped sequences: its evaluations and the
// faults they fired, by kind, on a cache line of their own, so that calls
// on different cores write different lines.
type stripe struct {
	evals atomic.Uint64
	fired [faults.NumKinds]atomic.Uint64
	_     [128 - 8*(1+faults.NumKinds)%128]byte
}

// maxStripes bounds a point's stripes, and so the memory a hot point
// takes: 64 lines of 128 bytes.
const maxStripes = 64

// loadStripes returns the point's stripes, making them on first use: the
// number of Ps rounded up to a power of two, at most maxStripes.
func (p *Point) loadStripes() []stripe {
	if s := p.stripes.Load(); s != nil {
		return *s
	}
	n := 1
	for n < runtime.GOMAXPROCS(0) && n < maxStripes {
		n *= 2
	}
	s := make([]stripe, n)
	p.stripes.CompareAndSwap(nil, &s)
	return *p.stripes.Load()
}

// evaluations returns the point's evaluations: its exact sequence and its
// stripes summed.
func (p *Point) evaluations() uint64 {
	n := p.evals.Load()
	if s := p.stripes.Load(); s != nil {
		for i := range *s {
			n += (*s)[i].evals.Load()
		}
	}
	return n
}

// firedOf returns the faults of kind k the point injected.
func (p *Point) firedOf(k faults.Kind) uint64 {
	n := p.fired[k].Load()
	if s := p.stripes.Load(); s != nil {
		for i := range *s {
			n += (*s)[i].fired[k].Load()
		}
	}
	return n
}

// binding is a point's immutable view of the active rules that name it.
type binding struct {
	point   *Point
	base    uint64   // evals when the plan was applied; sequence n = evals - base
	stripes []stripe // the point's stripes, or nil to decide on the exact sequence
	shift   uint8    // log2(len(stripes))
	rules   []boundRule
	policy  *compiledPolicy
	dryRun  bool
	windows bool
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
}

// err returns the rule's injected error at point p, made on the first fire
// so that a large plan costs no error per point it never fires at.
func (r *boundRule) err(p *Point) *faults.InjectedError {
	if e := r.injected.Load(); e != nil {
		return e
	}
	r.injected.CompareAndSwap(nil, faults.NewInjectedError(p.name, r.c.rule.Fault).WithOutcomes(outcomes{p}))
	return r.injected.Load()
}

// compiledRule is a Rule ready for evaluation.
type compiledRule struct {
	index   int
	rule    Rule
	salt    uint64
	after   uint64
	every   uint64
	times   uint64
	labels  []Label
	expires time.Time
	glob    glob
	hang    time.Duration // how long a hang fault blocks at most
}

func compileRule(i int, r Rule, now time.Time, pol *compiledPolicy) *compiledRule {
	c := &compiledRule{
		index: i,
		rule:  r,
		glob:  compileGlob(r.Point),
		salt:  mix.Mix(uint64(i) + 0x5bd1e995),
		after: uint64(r.After),
		every: uint64(r.Every),
		times: uint64(r.Times),
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
	if r.Fault.Kind == faults.KindHang {
		c.hang = r.Fault.HangLimit()
		if pol != nil && pol.MaxLatency > 0 && (r.Fault.Delay == 0 || pol.MaxLatency < c.hang) {
			c.hang = pol.MaxLatency
		}
	}
	return c
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
	return p != nil && p.loadBinding() != nil && !p.eng.killed.Load()
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
	r, n, h := p.eval(ctx, nil, b)
	if r == nil || !p.fire(ctx, nil, b, r, n, h) {
		return nil
	}
	return p.eng.apply(ctx, r.c.rule.Fault.Kind, r.c.wait(h), r.err(p))
}

// decide is the armed path of Decide and DecideLabels.
func (b *binding) decide(ctx context.Context, extra []Label) Decision {
	p := b.point
	r, n, h := p.eval(ctx, extra, b)
	if r == nil || !p.fire(ctx, extra, b, r, n, h) {
		return Decision{}
	}
	return Decision{point: p, fault: &r.c.rule.Fault, err: r.err(p), delay: r.c.wait(h), rule: r.c.index, seq: n}
}

// wait returns how long the rule's fault waits for the draw h that fired
// it: a latency fault's delay, jitter included, or a hang fault's bound; 0
// for other kinds.
func (c *compiledRule) wait(h uint64) time.Duration {
	switch c.rule.Fault.Kind {
	case faults.KindLatency:
		return c.rule.Fault.Duration(mix.Mix(h))
	case faults.KindHang:
		return c.hang
	}
	return 0
}

// apply carries out a fault of kind k that fired, as Inject documents:
// latency and hang wait d, or until ctx is done or the kill switch is
// thrown.
func (e *Engine) apply(ctx context.Context, k faults.Kind, d time.Duration, err *faults.InjectedError) error {
	switch k {
	case faults.KindLatency, faults.KindHang:
		if e.sleep(ctx, d) && k == faults.KindHang {
			return err
		}
		return ctx.Err()
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
		n = p.evals.Add(1) - b.base
	} else {
		// A striped call: a stripe drawn from the runtime's per-thread
		// random source, and the stripe's own count. n is unique to the
		// call; its low bits name the stripe.
		i := uint64(rand.Uint32()) & (uint64(len(b.stripes)) - 1)
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
		if r.take() {
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
func (p *Point) fire(ctx context.Context, extra []Label, b *binding, r *boundRule, n, h uint64) bool {
	f := &r.c.rule.Fault
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
		e.notify(ctx, obs, Event{
			Point:  p.name,
			Rule:   r.c.index,
			Fault:  *f,
			Seq:    n,
			Delay:  r.c.wait(h),
			Time:   time.Now(),
			Labels: allLabels(ctx, extra),
			DryRun: b.dryRun,
		})
		if e.killed.Load() {
			return false
		}
	}
	if e.logger != nil && e.logger.Enabled(ctx, debugLevel) {
		e.logger.DebugContext(ctx, "faultline: fault fired", "point", p.name, "rule", r.c.index, "fault", f.String(), "seq", n, "dry_run", b.dryRun)
	}
	return !b.dryRun
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

// Delay returns how long a latency fault waits, jitter included, or how
// long a hang fault blocks at most; 0 for other kinds.
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

// Inject carries out the decision as [Point.Inject] does, and returns nil
// when nothing fires.
func (d Decision) Inject(ctx context.Context) error {
	if d.fault == nil {
		return nil
	}
	return d.point.eng.apply(ctx, d.fault.Kind, d.delay, d.err)
}

// counts reports whether the rule counts calls (After, Every, Times), and
// so needs its points to decide on their exact sequence.
func (c *compiledRule) counts() bool { return c.after > 0 || c.every > 1 || c.times > 0 }

// outcomes counts at a point what became of its injected errors.
type outcomes struct{ p *Point }

func (o outcomes) Absorbed() { o.p.absorbed.Add(1) }
func (o outcomes) Escaped()  { o.p.escaped.Add(1) }
