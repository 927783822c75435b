// Package monkey switches faults on at random, in the spirit of Netflix's
// Chaos Monkey, but for the fault points of one process: now and then,
// inside the hours you allow, it picks one of a set of candidate rules and
// switches it on for a while.
//
// The schedule is a Poisson process: the time between activations is drawn
// from an exponential distribution with a mean you choose (say, one
// activation per eight working hours: once a workday on average). The time
// is counted only while a window ([chaos.TimeWindow]: days, hours, time zone) is
// open, so activations start only inside windows, and each ends at its
// length or when its window closes, whichever comes first. A minimum gap
// keeps activations apart. Each activation picks one candidate, and a share
// of the instances of a fleet (by [chaos.Engine.Instance]) takes part.
//
// Every choice derives from a seed (by default the engine's) and the time
// Run started, so a given seed and clock replay the same schedule;
// [Monkey.Schedule] previews it without running.
//
// An activation goes through [chaos.Engine.Apply], so the engine's policy
// bounds it: a rule the policy refuses is recorded with the error and
// nothing changes. Each activation is logged ([WithLogger]), passed to a
// hook ([WithOnActivation]) and kept in [Monkey.History].
//
// # The monkey and other plans
//
// An engine holds one plan, and applying one replaces the whole. While it
// runs, the monkey owns the engine's plan: each activation applies the
// base plan ([WithBase], empty by default) plus the chosen rule, and its end
// applies the base plan alone. To keep standing rules, pass them as the
// base. The monkey yields to others: each apply is a compare-and-swap on
// the engine's generation ([chaos.IfGeneration]), so when anything changed
// the engine after an activation (a plan applied by an operator, the kill
// switch thrown, or thrown and re-armed), its end leaves the engine as it
// is; and while the kill switch is thrown ([chaos.Engine.Disable]) it skips
// its activations, recording [ErrDisabled]. It never undoes the switch:
// only [chaos.Engine.Rearm] does. Do not run it next to a plan source
// (package chaos/source) on the same engine.
package monkey

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/window"
)

// Errors callers branch on with errors.Is.
var (
	// ErrInvalid is matched by the error of New when the candidates or
	// options are not usable.
	ErrInvalid = errors.New("monkey: invalid configuration")
	// ErrRunning is returned by [Monkey.Run] when the monkey is already
	// running.
	ErrRunning = errors.New("monkey: already running")
	// ErrDisabled is the error of an activation skipped because the
	// engine's kill switch was thrown. It is [chaos.ErrDisabled].
	ErrDisabled = chaos.ErrDisabled
)

// Defaults of a [Monkey].
const (
	// DefaultMeanInterval is the mean window time between activations:
	// with windows of eight working hours, once a workday on average.
	DefaultMeanInterval = 8 * time.Hour
	// DefaultLength is how long an activation lasts.
	DefaultLength = 10 * time.Minute
	// HistorySize is how many activations [Monkey.History] keeps.
	HistorySize = 256
)

// Activation is one time the monkey picked a rule.
type Activation struct {
	// N numbers the activations of a run, from 1.
	N uint64
	// Start is when the rule is switched on.
	Start time.Time
	// End is when it is switched off: Start plus the length, or the close
	// of the window, whichever comes first.
	End time.Time
	// Candidate is the index of the chosen rule among the candidates.
	Candidate int
	// Rule is the chosen rule as applied, its TTL set to End-Start (or
	// its own, if shorter).
	Rule chaos.Rule
	// Skipped reports that this instance was not in the share drawn to
	// take part, so nothing was applied.
	Skipped bool
	// Err reports that the activation changed nothing: the engine refused
	// the plan (matching [chaos.ErrRefused] or [chaos.ErrInvalidPlan]), its
	// kill switch was thrown ([ErrDisabled]), or another applier changed
	// the engine between the monkey's read and its apply
	// ([chaos.ErrConflict]).
	Err error
}

// Option configures a [Monkey] made by [New]. Only this package makes
// Options.
type Option interface{ apply(*config) }

type option func(*config)

func (f option) apply(c *config) { f(c) }

type config struct {
	seed         uint64
	seeded       bool
	mean         time.Duration
	length       time.Duration
	minGap       time.Duration
	share        float64
	windows      []chaos.TimeWindow
	base         chaos.Plan
	log          *slog.Logger
	onActivation func(Activation)
}

// WithSeed sets the seed every choice derives from. By default it is the
// engine's ([chaos.Engine.Seed]).
func WithSeed(seed uint64) Option {
	return option(func(c *config) { c.seed, c.seeded = seed, true })
}

// WithMeanInterval sets the mean time between activations, counted only
// while a window is open. The default, and what 0 means, is
// [DefaultMeanInterval]. The interval cannot be turned off, so New
// refuses a negative d.
func WithMeanInterval(d time.Duration) Option {
	return option(func(c *config) { setDuration(&c.mean, d) })
}

// WithLength sets how long each activation lasts (cut short when its
// window closes). The default, and what 0 means, is [DefaultLength]. The
// length cannot be turned off, so New refuses a negative d.
func WithLength(d time.Duration) Option {
	return option(func(c *config) { setDuration(&c.length, d) })
}

// WithMinGap keeps the starts of two activations at least d apart. An
// activation never starts before the previous one ended, whatever d. The
// default, and what 0 means, is no gap beyond that; d < 0 turns the gap
// off too.
func WithMinGap(d time.Duration) Option {
	return option(func(c *config) { c.minGap = max(d, 0) })
}

// WithShare sets the share in (0,1] of instances that take part in each
// activation, drawn afresh each time from the seed, the activation's
// number and the instance id, so that every instance of a fleet running
// the same seed and start agrees on who takes part. The default, and what
// 0 means, is 1: all; f < 0 turns the share off, which also lets all take
// part. New refuses f > 1 and NaN.
func WithShare(f float64) Option {
	return option(func(c *config) {
		switch {
		case f < 0:
			c.share = 1
		case f != 0: // NaN included, for New to refuse
			c.share = f
		}
	})
}

// setDuration sets *dst, which holds its default, to d unless d is 0.
func setDuration(dst *time.Duration, d time.Duration) {
	if d != 0 {
		*dst = d
	}
}

// WithWindows limits activations to the windows: an activation starts only
// while one is open, and ends when it closes. By default, with no windows,
// the monkey may act at any time.
func WithWindows(ws ...chaos.TimeWindow) Option {
	return option(func(c *config) { c.windows = append([]chaos.TimeWindow(nil), ws...) })
}

// WithBase sets the plan whose rules stay on before, during and after
// activations; each activation adds its rule after them. The default is
// the empty plan.
func WithBase(p chaos.Plan) Option {
	return option(func(c *config) { c.base = p })
}

// WithLogger logs each activation and its end (Info), and each that
// changed nothing (Warn), to l. By default, and when l is nil, the monkey
// logs nothing.
func WithLogger(l *slog.Logger) Option {
	return option(func(c *config) { c.log = l })
}

// WithOnActivation calls f with each activation once it is applied (or
// skipped, or refused), on the goroutine that runs [Monkey.Run]; f must
// not block for long. By default nothing is called.
func WithOnActivation(f func(Activation)) Option {
	return option(func(c *config) { c.onActivation = f })
}

// Monkey schedules activations of candidate rules on an engine. Make one
// with [New]; its methods are safe for concurrent use, and it runs one
// [Monkey.Run] at a time.
type Monkey struct {
	cfg        config
	eng        *chaos.Engine
	candidates []chaos.Rule
	windows    []window.Window
	instance   uint64 // hash of the engine's instance id
	running    atomic.Bool

	mu      sync.Mutex
	history []Activation // ring of the last HistorySize, oldest first
}

// New returns a monkey that switches the candidate rules on, one at a time,
// on e (nil means [chaos.Default]()). Each candidate must be a valid rule;
// its Rate, labels and counts apply as written, and its TTL is set by the
// activation. New fails, with an error matching [ErrInvalid] that lists
// every problem, when there are no candidates, a candidate or the base
// plan is invalid, a setting is out of range, or the windows are malformed
// or never open.
func New(e *chaos.Engine, candidates []chaos.Rule, opts ...Option) (*Monkey, error) {
	if e == nil {
		e = chaos.Default()
	}
	c := config{mean: DefaultMeanInterval, length: DefaultLength, share: 1}
	for _, o := range opts {
		o.apply(&c)
	}
	if !c.seeded {
		c.seed = e.Seed()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	var probs []string
	if len(candidates) == 0 {
		probs = append(probs, "candidates: none given")
	}
	probs = append(probs, planProblems("candidates", chaos.Plan{Rules: candidates})...)
	probs = append(probs, planProblems("base", c.base)...)
	if c.mean < 0 {
		probs = append(probs, fmt.Sprintf("mean interval: %v is negative", c.mean))
	}
	if c.length < 0 {
		probs = append(probs, fmt.Sprintf("length: %v is negative", c.length))
	}
	if !(c.share > 0 && c.share <= 1) {
		probs = append(probs, fmt.Sprintf("share: %v is outside (0,1]", c.share))
	}
	ws, wprobs := compileWindows(c.windows)
	probs = append(probs, wprobs...)
	if len(wprobs) == 0 && len(ws) > 0 && !window.EverOpen(ws) {
		probs = append(probs, "windows: never open")
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(probs, "; "))
	}
	m := &Monkey{
		cfg:        c,
		eng:        e,
		candidates: append([]chaos.Rule(nil), candidates...),
		windows:    ws,
		instance:   hashString(e.Instance()),
	}
	m.cfg.base.Rules = append([]chaos.Rule(nil), c.base.Rules...)
	return m, nil
}

// planProblems lists what is wrong with p, each path under prefix.
func planProblems(prefix string, p chaos.Plan) []string {
	var pe *chaos.PlanError
	if err := p.Validate(); !errors.As(err, &pe) {
		return nil
	}
	out := make([]string, len(pe.Problems))
	for i, pr := range pe.Problems {
		path := prefix + strings.TrimPrefix(pr.Path, "rules")
		out[i] = path + ": " + pr.Message
	}
	return out
}

// History returns the activations of the current or last run, oldest
// first, at most [HistorySize] of them.
func (m *Monkey) History() []Activation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Activation(nil), m.history...)
}

func (m *Monkey) record(a Activation) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.history) == HistorySize {
		copy(m.history, m.history[1:])
		m.history = m.history[:HistorySize-1]
	}
	m.history = append(m.history, a)
}
