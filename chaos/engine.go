package chaos

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/mix"
)

// Engine holds the fault points of a process and the plan that arms them.
// It decides, for each call at a point, whether a fault fires: a pure
// function of the engine's seed, the point, the call's sequence number and
// the rule, so that the same seed and plan replay the same faults.
//
// The zero Engine is usable: it has seed 0, no policy and no plan, so
// nothing fires until a plan is applied. All methods are safe for
// concurrent use.
type Engine struct {
	seed     uint64
	instance string
	policy   *compiledPolicy
	logger   *slog.Logger

	killed    atomic.Bool
	armed     atomic.Bool // a plan with rules is active and the switch is not thrown
	observers atomic.Pointer[[]Observer]
	points    sync.Map // name → *Point; stored under mu

	mu     sync.Mutex // guards what follows, and point creation
	gen    uint64
	active Active
	rules  []*compiledRule // of the active plan; nil entries for rules not on this instance
	timer  *time.Timer     // disarms the next rule to expire
}

// Option configures an [Engine] made by [New].
type Option interface{ apply(*Engine) }

type optionFunc func(*Engine)

func (f optionFunc) apply(e *Engine) { f(e) }

// WithSeed sets the seed every decision derives from. Without it, [New]
// draws a random seed, which [Engine.Seed] reports so the run can be
// replayed.
func WithSeed(seed uint64) Option {
	return optionFunc(func(e *Engine) { e.seed = seed })
}

// WithPolicy bounds every plan the engine applies by p. Without it, any
// valid plan applies. A policy that is itself invalid refuses every plan
// that has a rule, with the policy's problems as the reason.
func WithPolicy(p Policy) Option {
	return optionFunc(func(e *Engine) { e.policy = compilePolicy(p) })
}

// WithInstance sets the id of this instance, on which rules with a share of
// instances (Rule.Instances) decide. Without it, the host name is used.
func WithInstance(id string) Option {
	return optionFunc(func(e *Engine) { e.instance = id })
}

// WithObserver adds an observer told of every fault that fires (and of
// every dry-run decision). Observers can also be added later with
// [Engine.AddObserver].
func WithObserver(o Observer) Option {
	return optionFunc(func(e *Engine) { e.addObserver(o) })
}

// WithLogger sets the logger for plan changes (Info), refusals (Warn), the
// kill switch (Warn) and injections (Debug). Without it, the engine logs
// nothing.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(e *Engine) { e.logger = l })
}

// New returns an engine with no plan applied.
func New(opts ...Option) *Engine {
	e := &Engine{seed: randomSeed()}
	for _, o := range opts {
		o.apply(e)
	}
	if e.instance == "" {
		e.instance, _ = os.Hostname()
	}
	return e
}

func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return binary.LittleEndian.Uint64(b[:])
}

var defaultEngine atomic.Pointer[Engine]

// Default returns the process-wide engine that the package-level [Inject]
// uses. Unless [SetDefault] replaced it, it is New() on first use: a
// random seed, no policy and no plan. It is the only global in this
// package.
func Default() *Engine {
	if e := defaultEngine.Load(); e != nil {
		return e
	}
	defaultEngine.CompareAndSwap(nil, New())
	return defaultEngine.Load()
}

// SetDefault makes e the engine [Default] returns. A nil e is ignored.
func SetDefault(e *Engine) {
	if e != nil {
		defaultEngine.Store(e)
	}
}

// Inject evaluates the point called name on the default engine, as
// Default().Point(name).Inject(ctx). Code on a hot path should keep the
// *Point in a variable instead, which saves a map lookup per call.
func Inject(ctx context.Context, name string) error {
	return Default().Point(name).Inject(ctx)
}

// Seed returns the seed the engine decides with.
func (e *Engine) Seed() uint64 { return e.seed }

// Instance returns the engine's instance id.
func (e *Engine) Instance() string { return e.instance }

// Point returns the fault point called name, creating it on first use.
// Calls with the same name return the same *Point, so a point can be kept
// in a package variable. Points are never removed: name them from a
// bounded set (a route pattern, not a URL path).
func (e *Engine) Point(name string) *Point {
	if e == nil {
		return nil
	}
	if p, ok := e.points.Load(name); ok {
		return p.(*Point)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.points.Load(name); ok {
		return p.(*Point)
	}
	p := &Point{name: name, hash: mix.String(name), eng: e}
	p.storeBinding(e.bind(p, time.Now()))
	e.points.Store(name, p)
	return p
}

// Active describes the plan an engine has applied.
type Active struct {
	// Plan is the plan as applied, after any clamping by the policy.
	Plan Plan `json:"plan"`
	// Source names where the plan came from (see [FromSource]); empty
	// for a plan applied without one.
	Source string `json:"source,omitempty"`
	// Applied is when the plan was applied; zero if none was.
	Applied time.Time `json:"applied"`
	// Clamped lists what the policy clamped, as "rules[0].rate: 0.5
	// clamped to 0.05".
	Clamped []string `json:"clamped,omitempty"`
	// Disabled reports that the kill switch was thrown after the plan was
	// applied, so nothing fires.
	Disabled bool `json:"disabled,omitempty"`
}

// ApplyOption configures one [Engine.Apply].
type ApplyOption interface{ applyTo(*applyConfig) }

type applyConfig struct {
	active         Active
	unlessDisabled bool
}

type applyFunc func(*applyConfig)

func (f applyFunc) applyTo(c *applyConfig) { f(c) }

// FromSource records name as the source of the plan, as in "env",
// "file:/etc/faultline.json" or "admin".
func FromSource(name string) ApplyOption {
	return applyFunc(func(c *applyConfig) { c.active.Source = name })
}

// UnlessDisabled makes Apply fail with [ErrDisabled], changing nothing, if
// the kill switch is thrown, instead of turning the engine back on. The
// check and the swap are one step, so an automated source (a scheduler, a
// poller) cannot undo a kill switch thrown by an operator.
func UnlessDisabled() ApplyOption {
	return applyFunc(func(c *applyConfig) { c.unlessDisabled = true })
}

// ErrDisabled is returned by an Apply with [UnlessDisabled] while the kill
// switch is thrown.
var ErrDisabled = errors.New("chaos: kill switch thrown")

// Apply validates plan p in whole, bounds it by the engine's policy, and
// swaps it in atomically for every point at once. A plan with any problem
// changes nothing: the error is a [*PlanError] listing every problem with
// its place (matching [ErrInvalidPlan] or [ErrRefused]). Applying a plan
// turns the engine back on after [Engine.Disable]; applying the zero Plan
// switches every fault off.
func (e *Engine) Apply(p Plan, opts ...ApplyOption) error {
	c := applyConfig{active: Active{Applied: time.Now()}}
	for _, o := range opts {
		o.applyTo(&c)
	}
	a := c.active
	if err := p.Validate(); err != nil {
		e.log().Warn("faultline: plan refused", "source", a.Source, "version", p.Version, "error", err)
		return err
	}
	if e.policy != nil {
		var probs []Problem
		p, a.Clamped, probs = e.policy.check(p)
		if len(probs) > 0 {
			err := &PlanError{Err: ErrRefused, Problems: probs}
			e.log().Warn("faultline: plan refused", "source", a.Source, "version", p.Version, "error", err)
			return err
		}
	}
	a.Plan = clonePlan(p)

	e.mu.Lock()
	defer e.mu.Unlock()
	if c.unlessDisabled && e.killed.Load() {
		return ErrDisabled
	}
	e.gen++
	e.active = a
	e.rules = e.compile(a.Plan, a.Applied)
	e.rebind(a.Applied)
	e.killed.Store(false)
	e.armed.Store(slices.ContainsFunc(e.rules, func(c *compiledRule) bool { return c != nil }))
	e.log().Info("faultline: plan applied", "source", a.Source, "version", p.Version, "rules", len(p.Rules), "clamped", a.Clamped)
	return nil
}

// Disable is the kill switch: it turns every point off with one store, so
// nothing fires after it returns, then clears the plan. Applying a plan
// turns the engine back on.
func (e *Engine) Disable() {
	e.killed.Store(true)
	e.mu.Lock()
	defer e.mu.Unlock()
	// Store again under the lock: an Apply that held it while the first
	// store happened has turned the switch back off, and this Disable,
	// which comes after it, must win.
	e.killed.Store(true)
	e.armed.Store(false)
	e.gen++
	e.rules = nil
	e.active.Disabled = true
	e.rebind(time.Now())
	e.log().Warn("faultline: all faults disabled", "source", e.active.Source, "version", e.active.Plan.Version)
}

// Restore puts the engine back as a, a value [Engine.Active] returned
// earlier, describes: the kill switch thrown if it was, otherwise a's plan
// applied afresh under a's source (so its counts and TTLs restart), which
// for an engine that had no plan is the zero Plan. If the plan no longer
// applies, Restore throws the kill switch and returns the error, so that a
// failed restore never leaves faults on.
func (e *Engine) Restore(a Active) error {
	if a.Disabled {
		e.Disable()
		return nil
	}
	if err := e.Apply(a.Plan, FromSource(a.Source)); err != nil {
		e.Disable()
		return err
	}
	return nil
}

// Disabled reports whether the kill switch is thrown.
func (e *Engine) Disabled() bool { return e.killed.Load() }

// Armed reports whether a rule may fire anywhere: a plan with rules for
// this instance is applied and the kill switch is not thrown. It is one
// atomic load, for middleware that would otherwise do work per call (such
// as finding a request's route) only to learn that nothing can fire. It
// may still report true after every rule has expired; it never reports
// false while a rule can fire. A nil or zero Engine is not armed.
func (e *Engine) Armed() bool { return e != nil && e.armed.Load() }

// Plan returns the plan that is active: the last applied, after clamping,
// or the zero Plan if none is or the kill switch was thrown.
func (e *Engine) Plan() Plan {
	a := e.Active()
	if a.Disabled {
		return Plan{}
	}
	return a.Plan
}

// Active returns the active plan and where it came from.
func (e *Engine) Active() Active {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.active
	a.Plan = clonePlan(a.Plan)
	a.Clamped = slices.Clone(a.Clamped)
	return a
}

func clonePlan(p Plan) Plan {
	p.Rules = slices.Clone(p.Rules)
	for i, r := range p.Rules {
		if r.Labels != nil {
			m := make(map[string]string, len(r.Labels))
			for k, v := range r.Labels {
				m[k] = v
			}
			p.Rules[i].Labels = m
		}
	}
	return p
}

func (e *Engine) log() *slog.Logger {
	if e.logger == nil {
		return discard
	}
	return e.logger
}

var discard = slog.New(slog.DiscardHandler)

// compile turns the plan's rules into their evaluated form, leaving nil the
// rules whose share of instances leaves this one out.
func (e *Engine) compile(p Plan, now time.Time) []*compiledRule {
	rules := make([]*compiledRule, len(p.Rules))
	inst := mix.Mix3(e.seed, 0x1257a9ce, mix.String(e.instance))
	for i, r := range p.Rules {
		if r.Instances > 0 && !mix.Below(inst, mix.Threshold(r.Instances)) {
			continue
		}
		rules[i] = compileRule(i, r, now)
	}
	return rules
}

// rebind gives every point its binding to the current rules, and arms the
// timer for the next expiry. e.mu is held.
func (e *Engine) rebind(now time.Time) {
	e.points.Range(func(_, v any) bool {
		p := v.(*Point)
		p.storeBinding(e.bind(p, now))
		return true
	})
	e.schedule(now)
}

// schedule arms a timer for the next rule of the current plan to expire
// after now, so that its points are disarmed then without any call. The
// check on the firing path makes expiry exact; the timer makes an expired
// rule cost its points nothing. e.mu is held.
func (e *Engine) schedule(now time.Time) {
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	var next time.Time
	for _, c := range e.rules {
		if c != nil && !c.expires.IsZero() && c.expires.After(now) && (next.IsZero() || c.expires.Before(next)) {
			next = c.expires
		}
	}
	if !next.IsZero() {
		gen := e.gen
		e.timer = time.AfterFunc(next.Sub(now), func() { e.expire(gen) })
	}
}

// expire disarms the points whose every rule has expired, once a rule of
// plan generation gen expires. A point with a rule still live keeps its
// binding, and with it the sequence and the counts of its rules: expiry
// must not restart After, Every or Times for the rules that remain.
func (e *Engine) expire(gen uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen != gen {
		return
	}
	now := time.Now()
	e.points.Range(func(_, v any) bool {
		p := v.(*Point)
		if b := p.loadBinding(); b != nil && !b.live(now) {
			p.storeBinding(nil)
		}
		return true
	})
	e.schedule(now)
}

// bind returns p's binding to the current rules, or nil when none applies
// to it. e.mu is held.
func (e *Engine) bind(p *Point, now time.Time) *binding {
	var matched []*compiledRule
	for _, c := range e.rules {
		if c != nil && Match(c.rule.Point, p.name) && (c.expires.IsZero() || now.Before(c.expires)) {
			matched = append(matched, c)
		}
	}
	if len(matched) == 0 {
		return nil
	}
	b := &binding{point: p, base: p.evals.Load(), policy: e.policy, rules: make([]boundRule, len(matched))}
	counts := make([]ruleCount, len(matched))
	if e.policy != nil {
		b.dryRun = e.policy.DryRun
		b.windows = len(e.policy.windows) > 0
	}
	pointKey := mix.Mix(e.seed ^ p.hash)
	for i, c := range matched {
		r := &b.rules[i]
		r.c = c
		r.fired = &counts[i]
		r.err = faults.NewError(p.name, c.rule.Fault)
		r.threshold = c.threshold
		r.after, r.every, r.times = c.after, c.every, c.times
		r.labels = len(c.labels) > 0
		r.expires = !c.expires.IsZero()
		if c.rule.Sticky != "" {
			// Sticky draws depend on the seed and the label's value only,
			// so that a key is in or out at every point and rule alike,
			// and the keys in at a lower rate are among those in at a
			// higher one.
			r.sticky = true
			r.key = stickyKey(e.seed)
		} else {
			r.key = mix.Mix(pointKey ^ c.salt)
		}
	}
	return b
}

// stickySalt separates sticky draws from the per-call ones.
const stickySalt = 0x57a1c4e7

// stickyKey is the key of every sticky draw under seed: the draw for a
// label value v is mix.Mix(stickyKey(seed) ^ mix.String(v)).
func stickyKey(seed uint64) uint64 { return mix.Mix(mix.Mix(seed) ^ stickySalt) }

// live reports whether a rule of the binding may still fire at now.
func (b *binding) live(now time.Time) bool {
	for i := range b.rules {
		if c := b.rules[i].c; c.expires.IsZero() || now.Before(c.expires) {
			return true
		}
	}
	return false
}
