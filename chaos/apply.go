package chaos

import (
	"cmp"
	"errors"
	"maps"
	"slices"
	"time"
)

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
