package chaos

import (
	"cmp"
	"math/bits"
	"slices"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/internal/mix"
)

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
	return e.compileWith(p, now, e.policy, time.Time{})
}

// compileWith is compile under the policy pol, with every rule expiring
// by until unless it is zero.
func (e *Engine) compileWith(p Plan, now time.Time, pol *compiledPolicy, until time.Time) *compiledRules {
	rs := &compiledRules{all: make([]*compiledRule, len(p.Rules)), exact: make(map[string][]*compiledRule)}
	inst := mix.Mix3(e.seed, 0x1257a9ce, mix.String(e.instance))
	for i, r := range p.Rules {
		switch {
		case r.Rate <= 0, r.Instances < 0:
			continue
		case r.Instances > 0 && !mix.Below(inst, mix.Threshold(r.Instances)):
			continue
		}
		c := compileRule(i, r, now, pol)
		if !until.IsZero() && (c.expires.IsZero() || until.Before(c.expires)) {
			c.expires = until
		}
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
		if b := p.loadBinding(); b != nil && len(b.rules) > 0 && !b.live(now) {
			p.storeBinding(e.idle(p))
		}
		return true
	})
	e.mu.Lock()
	rules := e.rules
	e.mu.Unlock()
	e.schedule(rules, now)
}

// bind returns p's binding to the rules of the engine's plan, or, when
// none applies to it, nil or the idle binding of an engine whose points
// look for directives.
func (e *Engine) bind(rules *compiledRules, p *Point, now time.Time) *binding {
	b := e.bindTo(rules, p, now, bindSpec{seed: e.seed, policy: e.policy, exact: e.exact})
	if b == nil {
		return e.idle(p)
	}
	return b
}

// idle returns the binding of a point that no rule of the plan names: nil,
// which costs a call one atomic load, or, where the policy allows
// request-scoped faults, a binding without rules, so that calls look for a
// directive in their context.
func (e *Engine) idle(p *Point) *binding {
	if !e.scoped() {
		return nil
	}
	return &binding{point: p, scoped: true}
}

// scoped reports whether the engine's points look for directives.
func (e *Engine) scoped() bool { return e.policy != nil && e.policy.Requests.Allow }

// bindSpec says how bindTo binds: with what seed and policy, whether on
// the exact sequence, and for a directive's rules, which.
type bindSpec struct {
	seed   uint64
	policy *compiledPolicy
	exact  bool
	scope  *scope
}

// bindTo returns p's binding to rules as spec says, or nil when none
// applies to it.
func (e *Engine) bindTo(rules *compiledRules, p *Point, now time.Time, spec bindSpec) *binding {
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
	pol := spec.policy
	scale := 1.0
	if pol != nil && pol.MaxRate > 0 {
		var sum float64
		for _, c := range matched {
			sum += c.rule.Rate
		}
		if sum > pol.MaxRate {
			scale = pol.MaxRate / sum
		}
	}
	b := &binding{point: p, policy: pol, rules: make([]boundRule, len(matched)), scoped: e.scoped(), scope: spec.scope}
	b.countRules = true
	if spec.scope != nil {
		b.seq = new(atomic.Uint64)
	} else {
		b.seq, b.base = &p.evals, p.evaluations()
	}
	if !spec.exact && !slices.ContainsFunc(matched, (*compiledRule).counts) {
		b.stripes = p.loadStripes()
		b.shift = uint8(bits.TrailingZeros(uint(len(b.stripes))))
		b.mask = uint64(len(b.stripes)) - 1
		if len(matched) == 1 && (pol == nil || !pol.DryRun) {
			b.countRules, b.firedBase = false, p.stripesFired()
		}
	}
	counts := make([]atomic.Uint64, len(matched))
	if pol != nil {
		b.dryRun = pol.DryRun
		b.windows = len(pol.windows) > 0
	}
	pointKey := mix.Mix(spec.seed ^ p.hash)
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
			r.key = stickyKey(spec.seed)
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
