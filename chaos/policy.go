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
	Kinds []faults.Kind `json:"kinds,omitempty"`
	// MaxRate is the highest chance that a call at a point gets any fault,
	// summed over every rule that names the point: a rule's rate above it
	// refuses the plan (or is clamped), and where several rules name one
	// point their rates are scaled down there so that their sum is within
	// it. 0 means no limit.
	MaxRate float64 `json:"max_rate,omitempty"`
	// MaxLatency is the longest latency (delay plus jitter) a rule may
	// inject, and the longest a hang fault blocks: a hang without a bound of
	// its own gets this one. 0 means no limit (a hang then blocks at most
	// faults.DefaultHangLimit).
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
}

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
	for i, k := range p.Kinds {
		if k == faults.KindNone || int(k) >= faults.NumKinds {
			at(fmt.Sprintf("kinds[%d]", i), "%v is not a fault kind", k)
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
		if len(c.Kinds) > 0 && !slices.Contains(c.Kinds, r.Fault.Kind) {
			at(i, "fault.kind", "%v is not allowed by the policy (allowed: %s)", r.Fault.Kind, kindList(c.Kinds))
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
		if c.MaxLatency > 0 {
			switch lat := maxLatency(r.Fault); {
			case r.Fault.Kind == faults.KindHang && r.Fault.Delay > c.MaxLatency && c.Clamp:
				clamped = append(clamped, fmt.Sprintf("rules[%d].fault.delay: %v clamped to %v", i, r.Fault.Delay, c.MaxLatency))
				r.Fault.Delay = c.MaxLatency
			case r.Fault.Kind == faults.KindHang && r.Fault.Delay > c.MaxLatency:
				at(i, "fault.delay", "hang bound %v exceeds the policy's max latency %v", r.Fault.Delay, c.MaxLatency)
			case r.Fault.Kind == faults.KindHang:
			case lat > c.MaxLatency && c.Clamp:
				clamped = append(clamped, fmt.Sprintf("rules[%d].fault.delay: %v clamped to %v", i, lat, c.MaxLatency))
				r.Fault.Delay = min(r.Fault.Delay, c.MaxLatency)
				r.Fault.Jitter = c.MaxLatency - r.Fault.Delay
			case lat > c.MaxLatency:
				at(i, "fault.delay", "%v exceeds the policy's max latency %v", lat, c.MaxLatency)
			}
		}
	}
	return out, clamped, probs
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
