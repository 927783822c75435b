package chaos

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// WithDirectiveKeys gives the engine the keys it verifies directives with
// (see [Directive]); a token signed with any of them is accepted, so a key
// rotates by adding the new one to every service, then signing with it,
// then removing the old. Without keys the engine accepts no directive.
// Keys that are not valid (an id of the wrong form, a secret shorter than
// MinDirectiveSecret) are left out.
func WithDirectiveKeys(keys ...DirectiveKey) Option {
	return optionFunc(func(e *Engine) {
		for _, k := range keys {
			if k.check() == nil {
				e.dirKeys = append(e.dirKeys, DirectiveKey{ID: k.ID, Secret: slices.Clone(k.Secret)})
			}
		}
	})
}

// DirectiveStats counts the directives an engine was offered.
type DirectiveStats struct {
	// Accepted counts the requests whose directive was accepted.
	Accepted uint64 `json:"accepted"`
	// Refused counts the refused ones by reason (the Refused… constants);
	// reasons that never happened are left out.
	Refused map[string]uint64 `json:"refused,omitempty"`
}

// refusals lists the reasons in the order of the engine's counters.
var refusals = [...]string{RefusedOversized, RefusedMalformed, RefusedKey, RefusedSignature,
	RefusedExpired, RefusedTTL, RefusedIssuer, RefusedPlan, RefusedReplayed, RefusedNotAllowed}

// maxDirectives is how many accepted directives an engine keeps verified.
const maxDirectives = 1024

// directives is an engine's state for request-scoped faults.
type directives struct {
	// seen is set by the first directive accepted: until then the points
	// of an engine that allows directives skip the context lookup.
	seen     atomic.Bool
	accepted atomic.Uint64
	refused  [len(refusals)]atomic.Uint64
	logged   atomic.Int64 // when a refusal was last logged, in Unix nanoseconds
	unlogged atomic.Uint64
	cache    sync.Map // token → *scope
	mu       sync.Mutex
	size     int // entries in cache, under mu
}

// scope is an accepted directive, compiled for one engine: its rules bound
// lazily to each point its request reaches.
type scope struct {
	d      Directive
	eng    *Engine
	rules  *compiledRules
	policy *compiledPolicy
	seed   uint64
	uses   atomic.Int64
	points sync.Map // *Point → *binding, with no rules when none names the point
}

// requestDirective is what a context carries for a directive: the token,
// to forward unchanged, and the scope when this engine accepted it.
type requestDirective struct {
	token string
	scope *scope
}

type directiveCtxKey struct{}

// carried is set the first time a context in this process is given a
// token: until then DirectiveToken and DirectiveFrom, which the clients of
// the middleware call for every request, answer without walking the
// context.
var carried atomic.Bool

// markCarried sets carried, writing it only once so that requests do not
// share a written cache line.
func markCarried() {
	if !carried.Load() {
		carried.Store(true)
	}
}

// WithDirectiveToken returns ctx carrying token, a directive's signed form,
// to be forwarded by the clients of packages chaoshttp, resilience and
// chaosgrpc on the requests made under ctx, without applying its rules
// here. It is how a gateway or a test starts a request that carries a
// directive. A token that is empty, longer than MaxDirectiveSize or holds
// a character no token holds is not carried.
func WithDirectiveToken(ctx context.Context, token string) context.Context {
	if !tokenChars(token) {
		return ctx
	}
	markCarried()
	return context.WithValue(ctx, directiveCtxKey{}, &requestDirective{token: token})
}

// DirectiveToken returns the directive token ctx carries, accepted or
// not, for a client to forward unchanged; "" if none.
func DirectiveToken(ctx context.Context) string {
	if !carried.Load() {
		return "" // small enough to inline: a client's common case
	}
	return directiveToken(ctx)
}

// directiveToken is the lookup of DirectiveToken, kept out of line so that
// DirectiveToken inlines.
//
//go:noinline
func directiveToken(ctx context.Context) string {
	if v, _ := ctx.Value(directiveCtxKey{}).(*requestDirective); v != nil {
		return v.token
	}
	return ""
}

// DirectiveFrom returns the directive that an engine accepted for ctx.
func DirectiveFrom(ctx context.Context) (Directive, bool) {
	if !carried.Load() {
		return Directive{}, false
	}
	if v, _ := ctx.Value(directiveCtxKey{}).(*requestDirective); v != nil && v.scope != nil {
		return v.scope.d, true
	}
	return Directive{}, false
}

// AcceptDirective verifies token, a directive's signed form as a request
// brought it, and returns ctx carrying it: the points of this engine
// evaluated under the returned context apply the directive's rules before
// the engine's plan, and the clients of faultline's middleware forward the
// token unchanged on the requests made under it.
//
// It never fails a request: a directive that is refused — unsigned or badly
// signed, signed with a key the engine does not hold (WithDirectiveKeys),
// expired, living longer than the policy's RequestPolicy.MaxTTL, from an
// issuer the policy does not accept, with rules the policy refuses,
// accepted MaxUses times already, longer than MaxDirectiveSize, or offered
// to an engine whose policy does not allow request-scoped faults — applies
// nothing, is counted by reason ([Stats].Directives) and logged at most
// once a minute, and the error (a [*DirectiveError]) is for the caller's
// own records. The returned context still carries the token to forward,
// unless it is oversized or holds a character no token holds (which
// could add members to the baggage it is forwarded in).
//
// The engine's policy bounds a directive's rules as it bounds a plan's
// (with RequestPolicy.MaxRate in place of MaxRate), the kill switch stops
// them, and they stop at the directive's expiry. The rate scale of
// [Engine.SetRateScale] applies as it was when the directive's request
// first reached each point. An accepted directive is
// kept verified, by its token, so that the requests that carry it again
// cost a map lookup.
func (e *Engine) AcceptDirective(ctx context.Context, token string) (context.Context, error) {
	if len(token) > MaxDirectiveSize {
		return ctx, e.refused(refuse(RefusedOversized, "", "%d bytes exceed %d", len(token), MaxDirectiveSize))
	}
	if !tokenChars(token) {
		// Not a token: forwarding it could add members to the baggage of
		// the requests made under ctx.
		return ctx, e.refused(refuse(RefusedMalformed, "", "empty, or holds a character no token holds"))
	}
	rd := &requestDirective{token: token}
	markCarried()
	ctx = context.WithValue(ctx, directiveCtxKey{}, rd)
	if e.policy == nil || !e.policy.Requests.Allow || len(e.dirKeys) == 0 {
		return ctx, e.refused(refuse(RefusedNotAllowed, "", "the engine's policy allows no request-scoped faults, or it holds no key"))
	}
	now := time.Now()
	var s *scope
	if v, ok := e.dir.cache.Load(token); ok {
		s = v.(*scope)
		if !now.Before(s.d.Expires) {
			e.forget(token)
			return ctx, e.refused(refuse(RefusedExpired, s.d.ID, "expired %s", s.d.Expires.UTC().Format(time.RFC3339)))
		}
	} else {
		var err *DirectiveError
		if s, err = e.scope(token, now); err != nil {
			return ctx, e.refused(err)
		}
	}
	if s.uses.Add(1) > int64(e.policy.maxUses()) {
		return ctx, e.refused(refuse(RefusedReplayed, s.d.ID, "accepted %d times already", e.policy.maxUses()))
	}
	e.dir.accepted.Add(1)
	if !e.dir.seen.Load() {
		e.dir.seen.Store(true)
	}
	rd.scope = s
	return ctx, nil
}

func (p *compiledPolicy) maxUses() int {
	if p.Requests.MaxUses > 0 {
		return p.Requests.MaxUses
	}
	return DefaultDirectiveUses
}

// scope verifies token under the engine's keys and policy, compiles it,
// and keeps it.
func (e *Engine) scope(token string, now time.Time) (*scope, *DirectiveError) {
	d, err := VerifyDirective(token, now, e.dirKeys...)
	if err != nil {
		return nil, err.(*DirectiveError)
	}
	rp := e.policy.Requests
	maxTTL := rp.MaxTTL
	if maxTTL == 0 {
		maxTTL = DefaultDirectiveTTL
	}
	if ttl := d.Expires.Sub(d.IssuedAt); ttl > maxTTL {
		return nil, refuse(RefusedTTL, d.ID, "lives %v, the policy allows %v", ttl, maxTTL)
	}
	if len(rp.Issuers) > 0 && !slices.Contains(rp.Issuers, d.Issuer) {
		return nil, refuse(RefusedIssuer, d.ID, "issuer %.64q", d.Issuer)
	}
	pol := e.policy
	if rp.MaxRate > 0 {
		c := *pol
		c.MaxRate = rp.MaxRate
		pol = &c
	}
	plan, _, probs := pol.check(d.Plan)
	if len(probs) > 0 {
		return nil, refuse(RefusedPlan, d.ID, "%v", newPlanError(ErrRefused, probs))
	}
	seed := d.Seed
	if seed == 0 {
		seed = e.seed
	}
	s := &scope{d: d, eng: e, policy: pol, seed: seed, rules: e.compileWith(plan, now, pol, d.Expires)}
	return e.keep(token, s, now), nil
}

// keep puts s in the cache of accepted directives and returns the scope
// the cache holds for token: s, or the one a concurrent request with the
// same token stored first, so that every request counts its uses on one.
// When the cache is full it makes room in one pass, dropping the expired
// directives and others until a quarter of it is free, so that the next
// pass is a quarter of the cache's inserts away.
func (e *Engine) keep(token string, s *scope, now time.Time) *scope {
	e.dir.mu.Lock()
	defer e.dir.mu.Unlock()
	if e.dir.size >= maxDirectives {
		e.dir.cache.Range(func(k, v any) bool {
			if !now.Before(v.(*scope).d.Expires) || e.dir.size > maxDirectives*3/4 {
				e.dir.cache.Delete(k)
				e.dir.size--
			}
			return true
		})
	}
	v, loaded := e.dir.cache.LoadOrStore(token, s)
	if !loaded {
		e.dir.size++
	}
	return v.(*scope)
}

// forget drops token from the cache.
func (e *Engine) forget(token string) {
	e.dir.mu.Lock()
	defer e.dir.mu.Unlock()
	if _, loaded := e.dir.cache.LoadAndDelete(token); loaded {
		e.dir.size--
	}
}

// refused counts and logs err, at most one line a minute, and returns it.
func (e *Engine) refused(err *DirectiveError) error {
	for i, r := range refusals {
		if r == err.Reason {
			e.dir.refused[i].Add(1)
		}
	}
	e.dir.unlogged.Add(1)
	now := time.Now().UnixNano()
	if last := e.dir.logged.Load(); now-last >= int64(time.Minute) && e.dir.logged.CompareAndSwap(last, now) {
		e.log().Warn("faultline: directive refused", "reason", err.Reason, "id", err.ID, "detail", err.Detail,
			"refusals", e.dir.unlogged.Swap(0))
	}
	return err
}

// DirectiveStats returns the counts of the directives requests brought to
// the engine, as [Stats].Directives has them, without reading any point.
func (e *Engine) DirectiveStats() DirectiveStats {
	s := DirectiveStats{Accepted: e.dir.accepted.Load()}
	for i, r := range refusals {
		if n := e.dir.refused[i].Load(); n > 0 {
			if s.Refused == nil {
				s.Refused = make(map[string]uint64)
			}
			s.Refused[r] = n
		}
	}
	return s
}

// scopedBinding returns the binding of the directive ctx carries to p, or
// nil when ctx carries none that this engine accepted. A binding with no
// rules means the directive names other points.
func (p *Point) scopedBinding(ctx context.Context) *binding {
	if !p.eng.dir.seen.Load() {
		return nil
	}
	v, _ := ctx.Value(directiveCtxKey{}).(*requestDirective)
	if v == nil || v.scope == nil || v.scope.eng != p.eng {
		return nil
	}
	s := v.scope
	if b, ok := s.points.Load(p); ok {
		return b.(*binding)
	}
	b := p.eng.bindTo(s.rules, p, time.Now(), bindSpec{seed: s.seed, policy: s.policy, exact: true, scope: s})
	if b == nil {
		b = &binding{point: p, scope: s}
	}
	v2, _ := s.points.LoadOrStore(p, b)
	return v2.(*binding)
}

// tokenChars reports whether s is 1 to MaxDirectiveSize of the characters
// a token holds: letters, digits, '-', '_' and '.'.
func tokenChars(s string) bool {
	if s == "" || len(s) > MaxDirectiveSize {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && !tokenByte(c) {
			return false
		}
	}
	return true
}
