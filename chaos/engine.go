package chaos

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"os"
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

	dirKeys []DirectiveKey // the keys directives are verified with
	dir     directives
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
// random seed, no policy and no plan. It is the only engine this package
// keeps; its one other global is a flag that spares contexts a lookup
// until some context carries a directive.
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

// Armed reports whether a rule may fire anywhere: a plan with rules for
// this instance is applied and the kill switch is not thrown. It is two
// atomic loads, for middleware that would otherwise do work per call
// (such as finding a request's route) only to learn that nothing can
// fire. It may still report true after every rule has expired; it never
// reports false while a rule can fire. A nil or zero Engine is not armed.
func (e *Engine) Armed() bool { return e != nil && e.armed.Load() && !e.killed.Load() }

func (e *Engine) log() *slog.Logger {
	if e.logger == nil {
		return discard
	}
	return e.logger
}

var discard = slog.New(slog.DiscardHandler)
