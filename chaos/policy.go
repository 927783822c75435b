package chaos

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/window"
)

// Policy bounds every plan an engine applies: a local safety net that no
// plan, whatever its source, can widen. The zero Policy allows everything,
// which suits tests; a production engine should set at least MaxRate and
// MaxLatency (see [ProductionPolicy]). A Policy is set once, with
// [WithPolicy].
type Policy struct {
	// Kinds lists the fault kinds that may fire. Empty allows every kind.
	// faults.KindCustom allows custom faults, which Custom narrows. A rule
	// with choices needs every choice's kind allowed.
	Kinds []faults.Kind `json:"kinds,omitempty"`
	// Custom lists the names of the custom faults (see faults.Register)
	// that may fire, where Kinds allows custom faults. Empty allows every
	// registered one.
	Custom []string `json:"custom,omitempty"`
	// MaxRate is the highest chance that a call at a point gets any fault,
	// summed over every rule that names the point: a rule's rate above it
	// refuses the plan (or is clamped), and where several rules name one
	// point their rates are scaled down there so that their sum is within
	// it. 0 means no limit.
	MaxRate float64 `json:"max_rate,omitempty"`
	// MaxLatency is the longest latency (delay plus jitter) a rule may
	// inject, and the longest a hang or pause fault blocks or a squeeze
	// fault's deadline: a hang or pause without a bound of its own gets this
	// one. A latency drawn from a distribution must have its location
	// (mean, median or scale) and its cap (Max) within it, and one without
	// a cap is capped at it. 0 means no limit (a hang, a pause and a drawn
	// latency without a cap then last at most faults.DefaultHangLimit).
	MaxLatency time.Duration `json:"max_latency,omitempty"`
	// Points lists globs of the points a rule may name; a rule's pattern
	// must itself match one of them, so "sql.*" allows "sql.query" and
	// "sql.*" but not "*". Empty allows every point.
	Points []string `json:"points,omitempty"`
	// Windows lists when faults may fire. Outside every window a plan is
	// still accepted, but none of its rules fire. Empty means always.
	Windows []TimeWindow `json:"windows,omitempty"`
	// MaxRules is the most rules a plan may hold. 0 means no limit.
	MaxRules int `json:"max_rules,omitempty"`
	// DryRun makes points decide, count and report as usual but inject
	// nothing: the leash for trying a plan in production.
	DryRun bool `json:"dry_run,omitempty"`
	// Clamp lowers a rate above MaxRate and a latency above MaxLatency to
	// the limit, and reports it (see [Active].Clamped), instead of refusing
	// the plan. Problems that cannot be clamped still refuse it.
	Clamp bool `json:"clamp,omitempty"`
	// Requests allows and bounds request-scoped faults: the rules a signed
	// directive carries in one request's baggage (see [Engine.AcceptDirective]).
	// Its zero value allows none, even in the zero Policy.
	Requests RequestPolicy `json:"requests,omitzero"`
}

// RequestPolicy allows and bounds the request-scoped faults of signed
// directives (see [Directive]). Every other field of the [Policy] bounds a
// directive's rules as it bounds a plan's: kinds, rates (but see MaxRate),
// latencies, points, windows, the number of rules, dry-run and clamping.
type RequestPolicy struct {
	// Allow accepts directives at all. Off by default: an engine whose
	// policy does not allow them ignores every directive, and its points
	// never look for one. Where it is on, every call at a point looks for a
	// directive in its context, a context lookup whether or not a rule
	// names the point, instead of the one atomic load of a point no rule
	// names.
	Allow bool `json:"allow,omitempty"`
	// MaxRate replaces the policy's MaxRate for the rules of a directive,
	// which fire on the few requests that carry it: a service that lets
	// its plan fail 5% of calls may let a test user's request fail every
	// time. 0 means the policy's MaxRate.
	MaxRate float64 `json:"max_rate,omitempty"`
	// MaxTTL is the longest a directive may live, from when it was issued
	// to when it expires; a longer one is refused. 0 means
	// DefaultDirectiveTTL.
	MaxTTL time.Duration `json:"max_ttl,omitempty"`
	// MaxUses is how many requests one directive is accepted for at this
	// engine; after that it is refused as replayed. The engine counts the
	// uses of the directives it keeps verified, the 1,024 newest: one it
	// had to drop for newer ones counts afresh. 0 means
	// DefaultDirectiveUses.
	MaxUses int `json:"max_uses,omitempty"`
	// Issuers lists the issuers whose directives are accepted. Empty
	// accepts every issuer that signs with a key the engine holds.
	Issuers []string `json:"issuers,omitempty"`
}

// The defaults of a [RequestPolicy].
const (
	// DefaultDirectiveTTL is the longest a directive may live unless the
	// policy says otherwise.
	DefaultDirectiveTTL = 10 * time.Minute
	// DefaultDirectiveUses is how many requests one directive is accepted
	// for unless the policy says otherwise.
	DefaultDirectiveUses = 1000
)

// ProductionPolicy returns a conservative policy for a service in
// production: rates of at most 5%, latency of at most 2s, no panics or
// hangs, at most 10 rules. Extend it with Points and Windows.
func ProductionPolicy() Policy {
	return Policy{
		Kinds: []faults.Kind{faults.KindLatency, faults.KindError, faults.KindStatus,
			faults.KindAbort, faults.KindBadConn, faults.KindCorrupt},
		MaxRate:    0.05,
		MaxLatency: 2 * time.Second,
		MaxRules:   10,
	}
}

// TimeWindow is a span of the week in which faults may fire, such as working
// hours on weekdays.
type TimeWindow struct {
	// Days lists the weekdays of the window. Empty means every day.
	Days []time.Weekday `json:"days,omitempty"`
	// Start and End bound the time of day, as "HH:MM" in Location; Start is
	// in the window, End is not. Empty Start means midnight; empty End means
	// the end of the day. A Start after End spans midnight.
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	// Location is an IANA time zone name, such as "Europe/Paris". Empty
	// means UTC.
	Location string `json:"location,omitempty"`
}

// Validate checks the policy itself and returns a [*PlanError] matching
// [ErrRefused] that lists every problem, with paths such as
// "policy.max_rate", or nil. An engine given an invalid policy refuses
// every plan that has a rule, so check a policy from configuration here
// first.
func (p Policy) Validate() error {
	return compilePolicy(p).err
}

// Check bounds plan by the policy as [Engine.Apply] would, without an
// engine, for tools that vet plan documents before they reach a service.
// It validates the plan, then returns it as the policy lets it apply
// (rates and latencies clamped where the policy's Clamp is set) and what
// was clamped. The error is a [*PlanError] matching [ErrInvalidPlan] for a
// malformed plan, or [ErrRefused] for what the policy does not allow, and
// lists every problem with its place; the zero Policy allows every valid
// plan.
func (p Policy) Check(plan Plan) (Plan, []string, error) {
	if err := plan.Validate(); err != nil {
		return plan, nil, err
	}
	out, clamped, probs := compilePolicy(p).check(plan)
	if len(probs) > 0 {
		return plan, nil, newPlanError(ErrRefused, probs)
	}
	return out, clamped, nil
}

// compiledPolicy is a validated Policy ready for the engine.
type compiledPolicy struct {
	Policy
	windows []window.Window
	err     error // a policy that does not compile refuses every plan
}

func compilePolicy(p Policy) *compiledPolicy {
	c := &compiledPolicy{Policy: p}
	var probs []Problem
	at := func(path, format string, args ...any) {
		probs = append(probs, Problem{Path: "policy." + path, Message: fmt.Sprintf(format, args...)})
	}
	if msg := shareProblem(p.MaxRate); msg != "" {
		at("max_rate", "%s", msg)
	}
	if p.MaxLatency < 0 {
		at("max_latency", "%v is negative", p.MaxLatency)
	}
	if p.MaxRules < 0 {
		at("max_rules", "%d is negative", p.MaxRules)
	}
	if msg := shareProblem(p.Requests.MaxRate); msg != "" {
		at("requests.max_rate", "%s", msg)
	}
	if p.Requests.MaxTTL < 0 {
		at("requests.max_ttl", "%v is negative", p.Requests.MaxTTL)
	}
	if p.Requests.MaxUses < 0 {
		at("requests.max_uses", "%d is negative", p.Requests.MaxUses)
	}
	for i, k := range p.Kinds {
		if k == faults.KindNone || int(k) >= faults.NumKinds {
			at(fmt.Sprintf("kinds[%d]", i), "%v is not a fault kind", k)
		}
	}
	for i, name := range p.Custom {
		if name == "" {
			at(fmt.Sprintf("custom[%d]", i), "is empty")
		}
	}
	for i, w := range p.Windows {
		cw, wprobs := window.Compile(w.Days, w.Start, w.End, w.Location)
		for _, wp := range wprobs {
			at(fmt.Sprintf("windows[%d].%s", i, wp.Field), "%s", wp.Message)
		}
		c.windows = append(c.windows, cw)
	}
	if len(probs) > 0 {
		c.err = newPlanError(ErrRefused, probs)
	}
	return c
}

// open reports whether faults may fire at t.
func (c *compiledPolicy) open(t time.Time) bool {
	return len(c.windows) == 0 || window.Open(c.windows, t)
}

// check bounds plan p by the policy. It returns the plan to apply (clamped
// where the policy clamps), what was clamped, and the problems that refuse
// it. A plan without rules switches faults off, which every policy allows,
// even one that does not compile.
func (c *compiledPolicy) check(p Plan) (Plan, []string, []Problem) {
	if len(p.Rules) == 0 {
		return p, nil, nil
	}
	if c.err != nil {
		return p, nil, c.err.(*PlanError).Problems
	}
	var probs []Problem
	var clamped []string
	at := func(i int, field, format string, args ...any) {
		probs = append(probs, Problem{Path: fmt.Sprintf("rules[%d].%s", i, field), Message: fmt.Sprintf(format, args...)})
	}
	if c.MaxRules > 0 && len(p.Rules) > c.MaxRules {
		probs = append(probs, Problem{Path: "rules", Message: fmt.Sprintf("%d rules exceed the policy's limit of %d", len(p.Rules), c.MaxRules)})
	}
	out := Plan{Version: p.Version, Rules: slices.Clone(p.Rules)}
	for i := range out.Rules {
		r := &out.Rules[i]
		if len(r.Choices) > 0 {
			r.Choices = slices.Clone(r.Choices)
		}
		paths, fs := faultsAt(i, r)
		for j := range fs {
			c.checkKind(paths[j], fs[j], &probs)
		}
		if len(c.Points) > 0 && !matchAny(c.Points, r.Point) {
			at(i, "point", "%q is outside the policy's points %q", r.Point, c.Points)
		}
		if c.MaxRate > 0 && r.Rate > c.MaxRate {
			if c.Clamp {
				clamped = append(clamped, fmt.Sprintf("rules[%d].rate: %v clamped to %v", i, r.Rate, c.MaxRate))
				r.Rate = c.MaxRate
			} else {
				at(i, "rate", "%v exceeds the policy's max rate %v", r.Rate, c.MaxRate)
			}
		}
		for j := range fs {
			c.checkLatency(paths[j], fs[j], &clamped, &probs)
		}
	}
	return out, clamped, probs
}

// faultsAt returns the faults of r, the rule at index i of a plan (its
// fault, or its choices' faults), as pointers into r, with their paths.
func faultsAt(i int, r *Rule) ([]string, []*faults.Fault) {
	if len(r.Choices) == 0 {
		return []string{fmt.Sprintf("rules[%d].fault", i)}, []*faults.Fault{&r.Fault}
	}
	paths := make([]string, len(r.Choices))
	fs := make([]*faults.Fault, len(r.Choices))
	for j := range r.Choices {
		paths[j] = fmt.Sprintf("rules[%d].choices[%d].fault", i, j)
		fs[j] = &r.Choices[j].Fault
	}
	return paths, fs
}

// problemAt returns a function that notes in probs a problem with a field
// of the fault at path.
func problemAt(path string, probs *[]Problem) func(field, format string, args ...any) {
	return func(field, format string, args ...any) {
		*probs = append(*probs, Problem{Path: path + "." + field, Message: fmt.Sprintf(format, args...)})
	}
}

// checkKind notes in probs whether the policy refuses the kind of fault f,
// at path, or its custom name.
func (c *compiledPolicy) checkKind(path string, f *faults.Fault, probs *[]Problem) {
	at := problemAt(path, probs)
	if len(c.Kinds) > 0 && !slices.Contains(c.Kinds, f.Kind) {
		at("kind", "%v is not allowed by the policy (allowed: %s)", f.Kind, kindList(c.Kinds))
	}
	if f.Kind == faults.KindCustom && len(c.Custom) > 0 && !slices.Contains(c.Custom, f.Name) {
		at("name", "custom fault %q is not allowed by the policy (allowed: %s)", f.Name, strings.Join(c.Custom, ", "))
	}
}

// checkLatency bounds the waits of fault f, at path, by the policy's
// MaxLatency: it clamps f where the policy clamps, noting it in clamped,
// and notes the problems that refuse it in probs.
func (c *compiledPolicy) checkLatency(path string, f *faults.Fault, clamped *[]string, probs *[]Problem) {
	at := problemAt(path, probs)
	clamp := func(field string, v *time.Duration) {
		*clamped = append(*clamped, fmt.Sprintf("%s.%s: %v clamped to %v", path, field, *v, c.MaxLatency))
		*v = c.MaxLatency
	}
	if c.MaxLatency <= 0 {
		return
	}
	switch k := f.Kind; {
	case k == faults.KindHang || k == faults.KindPause || k == faults.KindSqueeze:
		switch {
		case f.Delay > c.MaxLatency && c.Clamp:
			clamp("delay", &f.Delay)
		case f.Delay > c.MaxLatency:
			at("delay", "%v bound %v exceeds the policy's max latency %v", k, f.Delay, c.MaxLatency)
		}
	case k == faults.KindLatency && f.Dist != faults.Uniform:
		for _, v := range []struct {
			field string
			d     *time.Duration
		}{{"delay", &f.Delay}, {"max", &f.Max}} {
			switch {
			case *v.d > c.MaxLatency && c.Clamp:
				clamp(v.field, v.d)
			case *v.d > c.MaxLatency:
				at(v.field, "%v exceeds the policy's max latency %v", *v.d, c.MaxLatency)
			}
		}
	case k == faults.KindLatency:
		switch lat := maxLatency(*f); {
		case lat > c.MaxLatency && c.Clamp:
			*clamped = append(*clamped, fmt.Sprintf("%s.delay: %v clamped to %v", path, lat, c.MaxLatency))
			f.Delay = min(f.Delay, c.MaxLatency)
			f.Jitter = c.MaxLatency - f.Delay
		case lat > c.MaxLatency:
			at("delay", "%v exceeds the policy's max latency %v", lat, c.MaxLatency)
		}
	}
}

func kindList(ks []faults.Kind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.String()
	}
	return strings.Join(names, ", ")
}

// maxLatency returns the longest delay f can make, Delay plus Jitter,
// capped at the longest time.Duration so that a huge jitter cannot wrap
// around below the policy's limit.
func maxLatency(f faults.Fault) time.Duration {
	if lat := f.Delay + f.Jitter; lat >= f.Delay {
		return lat
	}
	return math.MaxInt64
}
