package chaos

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/faultline-go/faultline/faults"
)

// Plan is a versioned list of rules: the faults an engine switches on. The
// zero Plan switches everything off. Plans are values: [Engine.Apply]
// copies what it needs, so a caller may reuse a Plan after applying it.
//
// A plan reads and writes as JSON (see [ParsePlanJSON]) and as one line of
// text (see [ParsePlan]).
type Plan struct {
	// Version names this plan, for records and reports. Empty means
	// unversioned.
	Version string
	// Rules are tried in order for each call at a point; the first that
	// fires wins.
	Rules []Rule
}

// Rule switches one fault on for the points it names, and says when it
// fires. The counts (Times, After, Every) are per point: a rule whose
// pattern matches three points fires up to Times on each. Counting starts
// afresh each time a plan is applied.
type Rule struct {
	// Point names the points: an exact name, or a glob in which '*'
	// stands for any run of characters ("sql.*", "GET /users/*").
	Point string
	// Fault is what happens when the rule fires.
	Fault faults.Fault
	// Rate is the probability in [0,1] that an eligible call fires.
	// 0 never fires, which is how a flag turns a rule off; 1 fires on every
	// eligible call. The text and JSON forms default to 1 when the rate is
	// left out, but the zero Rule in Go code has rate 0.
	Rate float64
	// Times caps the fires at each point. 0 means no cap. The cap is exact
	// however many goroutines race for it, but which of the eligible calls
	// take it depends on the order they arrive in. So when calls race, the
	// calls a spent rule leaves to later rules for the same point, and
	// those rules' fires, may vary between runs; calls made in one order
	// replay exactly.
	Times int
	// After skips the first After calls at each point. 0 skips none.
	After int
	// Every makes only every Every-th call after the skipped ones eligible.
	// 0 and 1 make every call eligible.
	Every int
	// TTL stops the rule firing TTL after the plan is applied. 0 means no
	// limit.
	TTL time.Duration
	// Until stops the rule firing at that instant. The zero time means no
	// limit.
	Until time.Time
	// Labels must all be carried, with these values, by a call for the rule
	// to fire (see [WithLabels]). Nil matches every call.
	Labels map[string]string
	// Sticky names a label whose value decides, instead of a fresh draw per
	// call, whether the rule fires: a given tenant or request is in or out
	// for the whole plan. A call that does not carry the label does not
	// fire. The decision depends only on the seed and the value, so with
	// the same seed the keys drawn in at rate 5% are among those drawn in at
	// rate 10%. Empty means a fresh decision per call.
	Sticky string
	// Instances is the share in [0,1] of engine instances (by the instance
	// id, see [WithInstance]) on which the rule applies. 0 means all.
	Instances float64
}

// Problem is one thing wrong with a plan: where it is, and what.
type Problem struct {
	// Path locates the problem, as in "rules[2].rate". Empty means the plan
	// as a whole.
	Path string `json:"path"`
	// Message says what is wrong, as in "1.5 is outside [0,1]".
	Message string `json:"message"`
}

// String returns "PATH: MESSAGE".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Errors callers branch on with errors.Is.
var (
	// ErrInvalidPlan is matched by the error of a plan that is malformed or
	// out of range.
	ErrInvalidPlan = errors.New("chaos: invalid plan")
	// ErrRefused is matched by the error of a plan the engine's policy does
	// not allow.
	ErrRefused = errors.New("chaos: plan refused by policy")
)

// PlanError lists every problem with a plan. It matches [ErrInvalidPlan]
// or [ErrRefused] with errors.Is.
type PlanError struct {
	// Err is ErrInvalidPlan or ErrRefused.
	Err error
	// Problems lists every problem found, in plan order.
	Problems []Problem
}

// Error returns the sentinel's text followed by each problem, separated by
// "; ".
func (e *PlanError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *PlanError) Unwrap() error { return e.Err }

// Validate checks every rule of the plan and returns a [*PlanError]
// listing every problem, or nil.
func (p Plan) Validate() error {
	if probs := p.problems(); len(probs) > 0 {
		return &PlanError{Err: ErrInvalidPlan, Problems: probs}
	}
	return nil
}

func (p Plan) problems() []Problem {
	var probs []Problem
	for i, r := range p.Rules {
		probs = append(probs, r.problems(i)...)
	}
	return probs
}

// problems lists what is wrong with the rule at index i of a plan.
func (r Rule) problems(i int) []Problem {
	var probs []Problem
	at := func(field, format string, args ...any) {
		probs = append(probs, Problem{Path: fmt.Sprintf("rules[%d].%s", i, field), Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case r.Point == "":
		at("point", "is empty")
	case strings.ContainsFunc(r.Point, func(c rune) bool { return c < ' ' || c == 0x7f }):
		at("point", "%q holds a control character", r.Point)
	}
	if err := r.Fault.Validate(); err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		at("fault."+field, "%s", msg)
	}
	if math.IsNaN(r.Rate) || r.Rate < 0 || r.Rate > 1 {
		at("rate", "%v is outside [0,1]", r.Rate)
	}
	if r.Times < 0 {
		at("times", "%d is negative", r.Times)
	}
	if r.After < 0 {
		at("after", "%d is negative", r.After)
	}
	if r.Every < 0 {
		at("every", "%d is negative", r.Every)
	}
	if r.TTL < 0 {
		at("ttl", "%v is negative", r.TTL)
	}
	if y := r.Until.UTC().Year(); !r.Until.IsZero() && (y < 0 || y > 9999) {
		at("until", "year %d is outside [0,9999]", y)
	}
	if math.IsNaN(r.Instances) || r.Instances < 0 || r.Instances > 1 {
		at("instances", "%v is outside [0,1]", r.Instances)
	}
	if _, ok := r.Labels[""]; ok {
		at("labels", "a label key is empty")
	}
	return probs
}

// Equal reports whether p and q hold the same version and rules; times are
// compared with time.Time.Equal.
func (p Plan) Equal(q Plan) bool {
	return p.Version == q.Version && slices.EqualFunc(p.Rules, q.Rules, Rule.Equal)
}

// Equal reports whether r and s are the same rule; Until is compared with
// time.Time.Equal and a nil Labels equals an empty one.
func (r Rule) Equal(s Rule) bool {
	if len(r.Labels) != len(s.Labels) {
		return false
	}
	for k, v := range r.Labels {
		if w, ok := s.Labels[k]; !ok || w != v {
			return false
		}
	}
	return r.Point == s.Point && r.Fault == s.Fault && r.Rate == s.Rate &&
		r.Times == s.Times && r.After == s.After && r.Every == s.Every &&
		r.TTL == s.TTL && r.Until.Equal(s.Until) && r.Sticky == s.Sticky &&
		r.Instances == s.Instances
}
