package chaos

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	"maps"
	"math/bits"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

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
	exact    bool // every point decides on its exact sequence
	exactSet bool // WithDeterministic was given
	instance string
	policy   *compiledPolicy
	logger   *slog.Logger

	// The kill switch. Disable takes only killMu, for a few instructions,
	// so that it never waits for an Apply, a Stats read or anything else.
	killed   atomic.Bool
	gen      atomic.Uint64 // adds one at every Apply, Disable and Rearm
	kill     atomic.Pointer[killSignal]
	killInfo atomic.Pointer[killRecord]
	killMu   sync.Mutex // orders Disable and Rearm

	armed     atomic.Bool             // the active plan has rules for this instance
	scale     atomic.Pointer[float64] // what SetRateScale set; nil means 1
	active    atomic.Pointer[Active]
	observers atomic.Pointer[observerSet]
	obsPanics atomic.Uint64
	obsLogged atomic.Bool
	points    sync.Map // name → *Point; stored under mu

	applyMu     sync.Mutex  // serialises Apply, Rearm and expiry; guards the timers
	timer       *time.Timer // disarms the next rule to expire
	unusedTimer *time.Timer // warns of the rules that named no evaluated point
	unusedAfter time.Duration
	live        atomic.Pointer[compiledRules] // the rules of the active plan, for Stats

	mu    sync.Mutex     // guards rules and point creation; held briefly
	rules *compiledRules // of the active plan
}

// killSignal is closed when the kill switch is thrown, which ends every
// latency and hang fault that is waiting.
type killSignal struct {
	ch   chan struct{}
	once sync.Once
}

func (s *killSignal) fire() { s.once.Do(func() { close(s.ch) }) }

// killRecord is the kill switch as of generation gen.
type killRecord struct {
	gen uint64
	KillSwitch
}

// Option configures an [Engine] made by [New].
type Option interface{ apply(*Engine) }

type optionFunc func(*Engine)

func (f optionFunc) apply(e *Engine) { f(e) }

// WithSeed sets the seed every decision derives from, and makes the engine
// deterministic unless [WithDeterministic](false) says otherwise. Without
// it, [New] draws a random seed, which [Engine.Seed] reports, and the
// engine scales with cores instead.
func WithSeed(seed uint64) Option {
	return optionFunc(func(e *Engine) {
		e.seed = seed
		if !e.exactSet {
			e.exact = true
		}
	})
}

// WithDeterministic chooses how points count their calls, on which rates
// decide.
//
// Deterministic (true, the default with [WithSeed]): each point counts its
// calls on one sequence, and whether the n-th call fires is a pure
// function of the seed, the point, n and the rule. The same seed, plan and
// order of calls at each point replay the same faults, call for call,
// whatever other points and goroutines do. Every armed call adds to the
// point's one counter, a cache line that the cores calling a hot point
// share.
//
// Scalable (false, the default without WithSeed, as in production):
// points count their calls on striped sequences, one cache line per
// stripe and a stripe per core or so, so that a hot armed point scales
// with cores. The rate of faults is the same and is still drawn from the
// seed, but which call takes which stripe depends on scheduling, so a
// replay with the report's seed reproduces the plan, the seed and the
// share of calls that fail at each point, not which calls. Rules with
// After, Every or Times count exactly in both modes: a point named by one
// decides on its exact sequence.
func WithDeterministic(on bool) Option {
	return optionFunc(func(e *Engine) { e.exact, e.exactSet = on, true })
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

// DefaultUnusedRuleAfter is how long an applied rule may go without
// naming an evaluated point before the engine reports it as unused.
const DefaultUnusedRuleAfter = time.Minute

// WithUnusedRuleAfter sets how long after a plan is applied a rule that
// has named no evaluated point (a typo in a point name, a route that is
// never called) is reported: the engine logs it at Warn, once per plan,
// and [RuleStats].Unused marks it. Zero means [DefaultUnusedRuleAfter];
// a negative d turns the report off.
func WithUnusedRuleAfter(d time.Duration) Option {
	return optionFunc(func(e *Engine) { e.unusedAfter = d })
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
	p.storeBinding(e.bind(e.rules, p, time.Now()))
	e.points.Store(name, p)
	return p
}

// Active describes the state of an engine: the plan it has applied and
// the kill switch.
type Active struct {
	// Plan is the plan as applied, after any clamping by the policy. After
	// the kill switch is thrown it is still the plan that was killed, but
	// nothing of it fires.
	Plan Plan `json:"plan"`
	// Source names where the plan came from (see [FromSource]); empty
	// for a plan applied without one.
	Source string `json:"source,omitempty"`
	// Applied is when the plan was applied; zero if none was.
	Applied time.Time `json:"applied"`
	// Clamped lists what the policy clamped, as "rules[0].rate: 0.5
	// clamped to 0.05".
	Clamped []string `json:"clamped,omitempty"`
	// Generation counts the changes of the engine's state: every Apply,
	// Disable and Rearm adds one. Pass it to [IfGeneration] to apply only
	// if nothing changed since it was read.
	Generation uint64 `json:"generation"`
	// KillSwitch is the state of the kill switch; its fields marshal
	// inline.
	KillSwitch
}

// KillSwitch is the state of an engine's kill switch, as [Engine.Active]
// reports it.
type KillSwitch struct {
	// Disabled reports that the kill switch is thrown, so nothing fires
	// and nothing applies until [Engine.Rearm].
	Disabled bool `json:"disabled,omitempty"`
	// DisabledReason is the reason given to the last [Engine.Disable].
	DisabledReason string `json:"disabled_reason,omitempty"`
	// DisabledAt is when the kill switch was last thrown; zero if never.
	DisabledAt time.Time `json:"disabled_at,omitzero"`
	// RearmedBy names who last re-armed the engine ([Engine.Rearm]).
	RearmedBy string `json:"rearmed_by,omitempty"`
	// RearmedAt is when the engine was last re-armed; zero if never.
	RearmedAt time.Time `json:"rearmed_at,omitzero"`
}

// ApplyOption configures one [Engine.Apply].
type ApplyOption interface{ applyTo(*applyConfig) }

type applyConfig struct {
	active Active
	ifGen  bool
	gen    uint64
}

type applyFunc func(*applyConfig)

func (f applyFunc) applyTo(c *applyConfig) { f(c) }

// FromSource records name as the source of the plan, as in "env",
// "file:/etc/faultline.json" or "admin".
func FromSource(name string) ApplyOption {
	return applyFunc(func(c *applyConfig) { c.active.Source = name })
}

// IfGeneration makes Apply (and Restore) fail with [ErrConflict], changing
// nothing, unless the engine's generation ([Active].Generation) is still
// gen: the check and the swap are one step. Every Apply, Disable and Rearm
// adds one to the generation, so a successful Apply with IfGeneration(gen)
// leaves it at exactly gen+1. An applier that puts back what it replaced
// (an experiment, a scheduler) restores with IfGeneration(gen+1), and so
// never undoes a change made by anyone else in between, the kill switch
// included.
func IfGeneration(gen uint64) ApplyOption {
	return applyFunc(func(c *applyConfig) { c.ifGen, c.gen = true, gen })
}

// Errors of Apply callers branch on with errors.Is.
var (
	// ErrDisabled is returned by Apply and Restore while the kill switch is
	// thrown: only [Engine.Rearm] turns it off.
	ErrDisabled = errors.New("chaos: kill switch thrown")
	// ErrConflict is returned by an Apply with [IfGeneration] when the
	// engine changed since that generation.
	ErrConflict = errors.New("chaos: engine changed since it was read")
)

// Apply validates plan p in whole, bounds it by the engine's policy, and
// swaps it in atomically for every point at once. A plan with any problem
// changes nothing: the error is a [*PlanError] listing every problem with
// its place (matching [ErrInvalidPlan] or [ErrRefused]). Applying the zero
// Plan switches every fault off.
//
// While the kill switch is thrown, Apply changes nothing and returns
// [ErrDisabled]: no plan, from a person or from an automated source, turns
// faults back on until someone calls [Engine.Rearm].
//
// Apply never holds up [Engine.Disable], [Engine.Stats] or calls at the
// points: a large plan is compiled before anything is locked, and points
// are rebound one at a time.
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
			err := newPlanError(ErrRefused, probs)
			e.log().Warn("faultline: plan refused", "source", a.Source, "version", p.Version, "error", err)
			return err
		}
	}
	a.Plan = clonePlan(p)
	rules := e.compile(a.Plan, a.Applied)

	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	switch {
	case e.killed.Load():
		return ErrDisabled
	case c.ifGen && !e.gen.CompareAndSwap(c.gen, c.gen+1):
		return ErrConflict
	case c.ifGen:
		a.Generation = c.gen + 1
	default:
		a.Generation = e.gen.Add(1)
	}
	e.install(&a, rules)
	e.log().Info("faultline: plan applied", "source", a.Source, "version", p.Version, "rules", len(p.Rules), "clamped", a.Clamped)
	return nil
}

// install makes a and its compiled rules the active plan and rebinds every
// point. e.applyMu is held.
func (e *Engine) install(a *Active, rules *compiledRules) {
	now := time.Now()
	e.mu.Lock()
	e.rules = rules
	e.active.Store(a)
	e.mu.Unlock()
	// Points created from here on bind to rules under e.mu; the ones that
	// exist are rebound one by one, without holding e.mu.
	e.rebind(rules, now)
	e.live.Store(rules)
	e.armed.Store(rules.any())
	e.schedule(rules, now)
	e.watchUnused(rules, a.Generation)
}

// unusedAfterOrDefault returns how long a rule may name no evaluated point
// before it is reported, or a negative duration for never.
func (e *Engine) unusedAfterOrDefault() time.Duration {
	return cmp.Or(e.unusedAfter, DefaultUnusedRuleAfter)
}

// watchUnused arms a timer that, unless the plan of generation gen is
// replaced first, logs each of its rules that named no evaluated point.
// e.applyMu is held.
func (e *Engine) watchUnused(rules *compiledRules, gen uint64) {
	if e.unusedTimer != nil {
		e.unusedTimer.Stop()
		e.unusedTimer = nil
	}
	d := e.unusedAfterOrDefault()
	if d < 0 || !rules.any() || e.logger == nil {
		return
	}
	e.unusedTimer = time.AfterFunc(d, func() {
		if e.Active().Generation != gen {
			return
		}
		for _, r := range e.Stats().Rules {
			if r.Unused {
				e.log().Warn("faultline: rule names no point that was evaluated", "rule", r.Rule, "point", r.Point, "after", d)
			}
		}
	})
}

// Disable is the kill switch. It ends every fault at once: nothing fires
// after it returns, and latency and hang faults that are waiting return
// nil (the call goes on as if no fault had fired). Then nothing applies
// ([Engine.Apply] returns [ErrDisabled]) until a person calls
// [Engine.Rearm]. reason says who threw it and why, as in "admin: alice"
// or "guard: error rate 12% over 5%"; it is kept in [Active] and logged.
//
// Disable never waits: not for an Apply in progress, nor for Stats, nor
// for a blocked observer. Calling it again updates the reason.
func (e *Engine) Disable(reason string) {
	now := time.Now()
	e.killMu.Lock()
	e.killed.Store(true)
	gen := e.gen.Add(1)
	e.armed.Store(false)
	rec := killRecord{gen: gen}
	if old := e.killInfo.Load(); old != nil {
		rec.KillSwitch = old.KillSwitch
	}
	rec.Disabled, rec.DisabledReason, rec.DisabledAt = true, reason, now
	e.killInfo.Store(&rec)
	e.signal().fire()
	e.killMu.Unlock()
	e.log().Warn("faultline: kill switch thrown, all faults disabled", "reason", reason)
}

// Rearm turns the kill switch off, so that plans apply again; by names who
// did it (a person, as in "admin: alice"), which [Active] keeps and the
// log records. It applies no plan itself: the plan that was killed stays
// off, and sources apply theirs on their next update. Rearm on an engine
// whose kill switch is not thrown does nothing.
func (e *Engine) Rearm(by string) {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	if !e.killed.Load() {
		return
	}
	now := time.Now()
	e.install(&Active{Generation: e.gen.Load()}, nil)
	e.killMu.Lock()
	e.kill.Store(&killSignal{ch: make(chan struct{})})
	rec := killRecord{gen: e.gen.Add(1)}
	if old := e.killInfo.Load(); old != nil {
		rec.KillSwitch = old.KillSwitch
	}
	rec.Disabled, rec.RearmedBy, rec.RearmedAt = false, by, now
	e.killInfo.Store(&rec)
	e.killed.Store(false)
	e.killMu.Unlock()
	e.log().Warn("faultline: kill switch re-armed", "by", by)
}

// SetRateScale scales the rate of every rule by s, clamped to [0,1]: 1
// (the default) fires at the rates of the plan as applied, 0 fires
// nothing, 0.5 at half of each rate. It is for pacing, which lowers the
// rate of an always-on plan as the service's error budget burns and raises
// it again as it recovers: the scale only ever lowers rates below the
// plan's and the policy's, holds across Applies until changed, and keeps
// every point's counts (Times, After, Every). It takes effect at once at
// every point, without a lock on the calls' path.
func (e *Engine) SetRateScale(s float64) {
	if !(s > 0) { // NaN too
		s = 0
	}
	s = min(s, 1)
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	e.mu.Lock() // no point is made meanwhile with the old scale
	defer e.mu.Unlock()
	e.scale.Store(&s)
	e.points.Range(func(_, v any) bool {
		if b := v.(*Point).loadBinding(); b != nil {
			for i := range b.rules {
				r := &b.rules[i]
				r.threshold.Store(mix.Threshold(r.rate * s))
			}
		}
		return true
	})
}

// RateScale returns the scale [Engine.SetRateScale] set; 1 by default.
func (e *Engine) RateScale() float64 { return e.pace() }

func (e *Engine) pace() float64 {
	if s := e.scale.Load(); s != nil {
		return *s
	}
	return 1
}

// signal returns the kill signal that the next Disable fires.
func (e *Engine) signal() *killSignal {
	if s := e.kill.Load(); s != nil {
		return s
	}
	e.kill.CompareAndSwap(nil, &killSignal{ch: make(chan struct{})})
	return e.kill.Load()
}

// Restore puts the engine back as a, a value [Engine.Active] returned
// earlier, describes: a's plan applied afresh under a's source (so its
// counts and TTLs restart), which for an engine that had no plan is the
// zero Plan. opts are Apply's: pass [IfGeneration] so as to restore only
// if nothing changed since. While the kill switch is thrown Restore
// returns [ErrDisabled] and changes nothing; a value with Disabled set
// throws the kill switch, unless IfGeneration refuses. If a's plan no
// longer applies, Restore throws the kill switch and returns the error, so
// that a failed restore never leaves faults on.
func (e *Engine) Restore(a Active, opts ...ApplyOption) error {
	if a.Disabled {
		var c applyConfig
		for _, o := range opts {
			o.applyTo(&c)
		}
		if c.ifGen && e.gen.Load() != c.gen {
			return ErrConflict
		}
		e.Disable(cmp.Or(a.DisabledReason, "restore"))
		return nil
	}
	err := e.Apply(a.Plan, append([]ApplyOption{FromSource(a.Source)}, opts...)...)
	if err != nil && !errors.Is(err, ErrDisabled) && !errors.Is(err, ErrConflict) {
		e.Disable("restore failed: " + err.Error())
	}
	return err
}

// Disabled reports whether the kill switch is thrown. It is one atomic
// load and tells the truth at every moment.
func (e *Engine) Disabled() bool { return e.killed.Load() }

// Armed reports whether a rule may fire anywhere: a plan with rules for
// this instance is applied and the kill switch is not thrown. It is two
// atomic loads, for middleware that would otherwise do work per call
// (such as finding a request's route) only to learn that nothing can
// fire. It may still report true after every rule has expired; it never
// reports false while a rule can fire. A nil or zero Engine is not armed.
func (e *Engine) Armed() bool { return e != nil && e.armed.Load() && !e.killed.Load() }

// Plan returns the plan that is active: the last applied, after clamping,
// or the zero Plan if none is or the kill switch is thrown.
func (e *Engine) Plan() Plan {
	a := e.Active()
	if a.Disabled {
		return Plan{}
	}
	return a.Plan
}

// Active returns the engine's state: the active plan, where it came from,
// and the kill switch. It takes no lock. Its Generation is the one of the
// last change it shows, so a change still in progress (an Apply that has
// not installed its plan yet) is not half seen.
func (e *Engine) Active() Active {
	var a Active
	if p := e.active.Load(); p != nil {
		a = *p
	}
	a.Plan = clonePlan(a.Plan)
	a.Clamped = slices.Clone(a.Clamped)
	if k := e.killInfo.Load(); k != nil {
		a.KillSwitch = k.KillSwitch
		a.Generation = max(a.Generation, k.gen)
	}
	return a
}

// ClonePlan returns a deep copy of p, which shares no slice or map with
// it.
func ClonePlan(p Plan) Plan { return clonePlan(p) }

func clonePlan(p Plan) Plan {
	p.Rules = slices.Clone(p.Rules)
	for i, r := range p.Rules {
		p.Rules[i].Choices = slices.Clone(r.Choices)
		if r.Labels != nil {
			p.Rules[i].Labels = maps.Clone(r.Labels)
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

// compiledRules is a plan's rules ready for binding to points.
type compiledRules struct {
	all   []*compiledRule            // in plan order; nil for rules that cannot fire here
	exact map[string][]*compiledRule // rules naming one point, by name, in plan order
	globs []*compiledRule            // rules with a glob, in plan order
}

// any reports whether a rule may fire.
func (rs *compiledRules) any() bool {
	return rs != nil && (len(rs.exact) > 0 || len(rs.globs) > 0)
}

// compile turns the plan's rules into their evaluated form, leaving out
// the rules that can never fire on this instance: a rate of 0, or a share
// of instances that leaves this one out.
func (e *Engine) compile(p Plan, now time.Time) *compiledRules {
	rs := &compiledRules{all: make([]*compiledRule, len(p.Rules)), exact: make(map[string][]*compiledRule)}
	inst := mix.Mix3(e.seed, 0x1257a9ce, mix.String(e.instance))
	for i, r := range p.Rules {
		switch {
		case r.Rate <= 0, r.Instances < 0:
			continue
		case r.Instances > 0 && !mix.Below(inst, mix.Threshold(r.Instances)):
			continue
		}
		c := compileRule(i, r, now, e.policy)
		rs.all[i] = c
		if c.glob.exact() {
			rs.exact[r.Point] = append(rs.exact[r.Point], c)
		} else {
			rs.globs = append(rs.globs, c)
		}
	}
	return rs
}

// rebind gives every point its binding to rules. e.applyMu is held.
func (e *Engine) rebind(rules *compiledRules, now time.Time) {
	e.points.Range(func(_, v any) bool {
		p := v.(*Point)
		p.storeBinding(e.bind(rules, p, now))
		return true
	})
}

// schedule arms a timer for the next rule of rules to expire after now,
// so that its points are disarmed then without any call. The check on the
// firing path makes expiry exact; the timer makes an expired rule cost its
// points nothing. e.applyMu is held.
func (e *Engine) schedule(rules *compiledRules, now time.Time) {
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	if rules == nil {
		return
	}
	var next time.Time
	for _, c := range rules.all {
		if c != nil && !c.expires.IsZero() && c.expires.After(now) && (next.IsZero() || c.expires.Before(next)) {
			next = c.expires
		}
	}
	if !next.IsZero() {
		gen := e.gen.Load()
		e.timer = time.AfterFunc(next.Sub(now), func() { e.expire(gen) })
	}
}

// expire disarms the points whose every rule has expired, once a rule of
// plan generation gen expires. A point with a rule still live keeps its
// binding, and with it the sequence and the counts of its rules: expiry
// must not restart After, Every or Times for the rules that remain.
func (e *Engine) expire(gen uint64) {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	if e.gen.Load() != gen {
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
	e.mu.Lock()
	rules := e.rules
	e.mu.Unlock()
	e.schedule(rules, now)
}

// bind returns p's binding to rules, or nil when none applies to it.
func (e *Engine) bind(rules *compiledRules, p *Point, now time.Time) *binding {
	if rules == nil {
		return nil
	}
	matched := slices.Clone(rules.exact[p.name])
	for _, c := range rules.globs {
		if c.glob.match(p.name) {
			matched = append(matched, c)
		}
	}
	matched = slices.DeleteFunc(matched, func(c *compiledRule) bool {
		return !c.expires.IsZero() && !now.Before(c.expires)
	})
	if len(matched) == 0 {
		return nil
	}
	if len(rules.globs) > 0 && len(rules.exact[p.name]) > 0 {
		slices.SortFunc(matched, func(a, b *compiledRule) int { return cmp.Compare(a.index, b.index) })
	}
	// The policy's MaxRate bounds the chance that a call gets any fault,
	// summed over the rules that name the point: scale each rule's rate
	// down at this point so that the sum is within it.
	scale := 1.0
	if e.policy != nil && e.policy.MaxRate > 0 {
		var sum float64
		for _, c := range matched {
			sum += c.rule.Rate
		}
		if sum > e.policy.MaxRate {
			scale = e.policy.MaxRate / sum
		}
	}
	b := &binding{point: p, base: p.evaluations(), policy: e.policy, rules: make([]boundRule, len(matched))}
	b.countRules = true
	if !e.exact && !slices.ContainsFunc(matched, (*compiledRule).counts) {
		b.stripes = p.loadStripes()
		b.shift = uint8(bits.TrailingZeros(uint(len(b.stripes))))
		b.mask = uint64(len(b.stripes)) - 1
		if len(matched) == 1 && (e.policy == nil || !e.policy.DryRun) {
			b.countRules, b.firedBase = false, p.stripesFired()
		}
	}
	counts := make([]atomic.Uint64, len(matched))
	if e.policy != nil {
		b.dryRun = e.policy.DryRun
		b.windows = len(e.policy.windows) > 0
	}
	pointKey := mix.Mix(e.seed ^ p.hash)
	for i, c := range matched {
		r := &b.rules[i]
		r.c = c
		r.fired = &counts[i]
		r.rate = c.rule.Rate * scale
		r.threshold.Store(mix.Threshold(r.rate * e.pace()))
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
