package chaos

import (
	"context"
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
	// gate is closed by Release to let the calls paused at the point go
	// on, and replaced by a fresh one; nil until first needed.
	gate   atomic.Pointer[chan struct{}]
	paused atomic.Int64 // calls waiting at the gate
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

// loadStripes returns the point's stripes, making them on first use: four
// per P, rounded up to a power of two, at most maxStripes, so that the
// goroutines running at one time seldom share a stripe.
func (p *Point) loadStripes() []stripe {
	if s := p.stripes.Load(); s != nil {
		return *s
	}
	n := 1
	for n < 4*runtime.GOMAXPROCS(0) && n < maxStripes {
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

// stripesFired returns the faults of every kind the point's stripes
// counted.
func (p *Point) stripesFired() uint64 {
	var n uint64
	if s := p.stripes.Load(); s != nil {
		for i := range *s {
			for k := range (*s)[i].fired {
				n += (*s)[i].fired[k].Load()
			}
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
	mask    uint64   // len(stripes) - 1
	// countRules makes each fire add to its rule's count at the point. A
	// striped binding with one rule and no cap does without that shared
	// write: its rule's fires are the stripes' fires since firedBase.
	countRules bool
	firedBase  uint64
	rules      []boundRule
	policy     *compiledPolicy
	dryRun     bool
	windows    bool
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
	alts    []alt  // the rule's fault, or its choices
	total   uint64 // the sum of the weights of the choices that are on
}

// alt is one fault a rule may inject: its only one, or one of its
// choices, ready for evaluation.
type alt struct {
	fault faults.Fault
	fn    faults.Func   // a custom fault's function
	bound time.Duration // how long a hang or pause blocks at most; the cap of a drawn latency (0: the fault's own)
	upto  uint64        // the choice is picked for a weighted draw below upto
}

// choiceSalt separates the draw that picks a rule's choice from the one
// that draws its latency.
const choiceSalt = 0x63686f6963650a

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
	if len(r.Choices) == 0 {
		c.alts = []alt{compileAlt(r.Fault, pol)}
		return c
	}
	c.alts = make([]alt, len(r.Choices))
	for j, ch := range r.Choices {
		c.alts[j] = compileAlt(ch.Fault, pol)
		if w := ch.Weight; w >= 0 {
			c.total += uint64(max(w, 1))
		}
		c.alts[j].upto = c.total
	}
	return c
}

// compileAlt readies one fault of a rule under the policy pol.
func compileAlt(f faults.Fault, pol *compiledPolicy) alt {
	a := alt{fault: f}
	var limit time.Duration // the policy's MaxLatency, or 0
	if pol != nil {
		limit = pol.MaxLatency
	}
	switch {
	case f.Kind == faults.KindHang || f.Kind == faults.KindPause:
		a.bound = f.HangLimit()
		if limit > 0 && (f.Delay == 0 || limit < a.bound) {
			a.bound = limit
		}
	case f.Kind == faults.KindLatency && f.Dist != faults.Uniform && limit > 0:
		a.bound = limit
		if f.Max > 0 {
			a.bound = min(f.Max, limit)
		}
	case f.Kind == faults.KindCustom:
		a.fn = faults.Lookup(f.Name)
	}
	return a
}

// pick returns the index of the choice the draw h picks: 0 for a rule
// with a single fault.
func (c *compiledRule) pick(h uint64) int {
	if len(c.alts) == 1 {
		return 0
	}
	x := mix.Mix(h^choiceSalt) % c.total
	for i := range c.alts {
		if x < c.alts[i].upto {
			return i
		}
	}
	return len(c.alts) - 1 // not reached: the last choice on ends at total
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
	if r == nil {
		return nil
	}
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
	r, n, h := p.eval(ctx, extra, b)
	if r == nil {
		return Decision{}
	}
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

// pause blocks a call at p until [Point.Release], the kill switch or the
// end of ctx, for at most d. It returns nil when released or killed,
// ctx.Err() when ctx ends, and err when d passes.
func (p *Point) pause(ctx context.Context, d time.Duration, err *faults.InjectedError) error {
	// The gate is loaded before the call counts as paused: a Release that
	// a caller makes after seeing Paused() go up closes this gate.
	g := p.loadGate()
	p.paused.Add(1)
	defer p.paused.Add(-1)
	kill := p.eng.signal().ch
	switch {
	case p.eng.killed.Load():
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-g:
		return nil
	case <-kill:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return err
	}
}

// loadGate returns the channel the next Release closes.
func (p *Point) loadGate() chan struct{} {
	if g := p.gate.Load(); g != nil {
		return *g
	}
	g := make(chan struct{})
	p.gate.CompareAndSwap(nil, &g)
	return *p.gate.Load()
}

// Release lets every call paused at the point by a pause fault go on now:
// each returns nil from Inject. Calls that pause after Release wait for
// the next one. With [Point.Paused] a test holds one goroutine at a point
// and drives a race deterministically:
//
//	go func() { done <- p.Inject(ctx) }()
//	for p.Paused() == 0 { runtime.Gosched() } // or synctest.Wait()
//	// … do what must happen while the call is held …
//	p.Release()
//
// Release on a nil point, or with no call paused, does nothing. It is
// safe for concurrent use.
func (p *Point) Release() {
	if p == nil {
		return
	}
	next := make(chan struct{})
	if old := p.gate.Swap(&next); old != nil {
		close(*old)
	}
}

// Paused returns how many calls are paused at the point now, waiting for
// [Point.Release]; 0 for a nil point.
func (p *Point) Paused() int {
	if p == nil {
		return 0
	}
	return int(p.paused.Load())
}

// InjectContext is [Point.Inject] for code that hands its context on: it
// evaluates the point once and returns the context the rest of the call
// should use with Inject's error. A squeeze fault returns ctx with a
// deadline at most its duration from now (see [Decision.Context]) and a
// nil error, so the call goes on with less time, as it would under a
// shorter timeout upstream; every other kind returns ctx unchanged and
// does what Inject does. While nothing fires it returns ctx and nil,
// at the cost of Inject.
func (p *Point) InjectContext(ctx context.Context) (_ context.Context, err error) {
	// Small enough to inline (TestHotPathInlines), as Inject is.
	if p != nil && atomic.LoadPointer(&p.binding) != nil {
		ctx, err = p.injectContext(ctx)
	}
	return ctx, err
}

// injectContext is the armed path of InjectContext.
func (p *Point) injectContext(ctx context.Context) (context.Context, error) {
	b := p.loadBinding()
	if b == nil {
		return ctx, nil // disarmed since InjectContext looked
	}
	d := b.decide(ctx, nil)
	if d.Kind() == faults.KindSqueeze {
		return d.Context(ctx), nil
	}
	return ctx, d.Inject(ctx)
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
		e.notify(ctx, obs, Event{
			Point:  p.name,
			Rule:   r.c.index,
			Fault:  *f,
			Seq:    n,
			Delay:  a.wait(h),
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
	alt   *alt
	err   *faults.InjectedError
	delay time.Duration
	rule  int
	seq   uint64
}

// Fired reports whether a fault fires.
func (d Decision) Fired() bool { return d.alt != nil }

// Fault returns the fault that fires, or the zero Fault. For a rule with
// choices it is the choice picked.
func (d Decision) Fault() faults.Fault {
	if d.alt == nil {
		return faults.Fault{}
	}
	return d.alt.fault
}

// Kind returns the kind of the fault that fires, or faults.KindNone.
func (d Decision) Kind() faults.Kind {
	if d.alt == nil {
		return faults.KindNone
	}
	return d.alt.fault.Kind
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

// Delay returns how long a latency fault waits (jitter included, or as
// drawn from its distribution), how long a hang or pause fault blocks at
// most, or the deadline a squeeze fault sets, from now; 0 for other kinds.
func (d Decision) Delay() time.Duration { return d.delay }

// Rule returns the index in the plan of the rule that fired, or -1.
func (d Decision) Rule() int {
	if d.alt == nil {
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
// when nothing fires. A custom fault's function runs here; [Decision.Err]
// does not run it.
func (d Decision) Inject(ctx context.Context) error {
	if d.alt == nil {
		return nil
	}
	return d.point.apply(ctx, d.alt, d.delay, d.err)
}

// Context returns the context the call should go on with: for a squeeze
// fault, ctx with a deadline at most [Decision.Delay] from now, or
// canceled at once for a Delay of 0 ("cancel"), whose [context.Cause] is
// the decision's injected error (matching faults.ErrInjected and
// context.DeadlineExceeded or context.Canceled); ctx itself for every
// other decision, when ctx already ends sooner, or once the kill switch is
// thrown. There is no cancel function to call: the squeezed context
// releases its timer at its deadline, at most Delay after the call.
func (d Decision) Context(ctx context.Context) context.Context {
	if d.alt == nil || d.alt.fault.Kind != faults.KindSqueeze || d.point.eng.killed.Load() {
		return ctx
	}
	if d.delay <= 0 {
		c, cancel := context.WithCancelCause(ctx)
		cancel(d.err)
		return c
	}
	at := time.Now().Add(d.delay)
	if dl, ok := ctx.Deadline(); ok && !dl.After(at) {
		return ctx
	}
	c, cancel := context.WithDeadlineCause(ctx, at, d.err)
	_ = cancel // released by the deadline, at most d.delay from now
	return c
}

// counts reports whether the rule counts calls (After, Every, Times), and
// so needs its points to decide on their exact sequence.
func (c *compiledRule) counts() bool { return c.after > 0 || c.every > 1 || c.times > 0 }

// outcomes counts at a point what became of its injected errors.
type outcomes struct{ p *Point }

func (o outcomes) Absorbed() { o.p.absorbed.Add(1) }
func (o outcomes) Escaped()  { o.p.escaped.Add(1) }
