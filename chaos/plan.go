package chaos

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/lex"
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
	// id, see [WithInstance]) on which the rule applies. The zero value
	// means all instances (the default); -1 means none, which is how a rule
	// is kept in a plan but switched off everywhere. Other negative values
	// are invalid. The text form writes -1 as "instances=0%", and JSON as
	// "instances": 0; a rule that leaves the option out applies everywhere.
	Instances float64
}

// The limits every plan reader holds to, so that a plan from a file, a
// flag or an HTTP body cannot make a parser or the engine do unbounded
// work.
const (
	// MaxPlanRules is the most rules a plan may hold. [Plan.Validate]
	// refuses a plan with more, and the parsers stop reading at the rule
	// after the last one allowed. A [Policy] may set a lower limit.
	MaxPlanRules = 1000
	// MaxPlanSize is the largest plan document, in bytes, that
	// [ParsePlan], [ParsePlanJSON], [DecodePlan] and [Plan.UnmarshalJSON]
	// read. A larger one is refused before any of it is parsed.
	MaxPlanSize = 1 << 20
)

// maxProblems is the most problems a [PlanError] keeps, and
// maxErrorProblems the most its Error text lists.
const (
	maxProblems      = 100
	maxErrorProblems = 32
)

// excerptLen is how much of a long value a problem message quotes.
const excerptLen = 64

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

// PlanError lists the problems with a plan. It matches [ErrInvalidPlan]
// or [ErrRefused] with errors.Is.
//
// However broken the plan, the error stays small: Problems keeps the first
// 100 problems found and More counts the rest, and the text lists at most
// 32. A reader stops at the first rule past [MaxPlanRules], so a plan that
// long reports the problems of its first MaxPlanRules rules.
type PlanError struct {
	// Err is ErrInvalidPlan or ErrRefused.
	Err error
	// Problems lists the problems found, at most 100: first those with the
	// plan as a whole (Path "" or "rules"), then the others in plan order.
	Problems []Problem
	// More counts the problems found but not kept in Problems. Zero means
	// Problems lists them all.
	More int
}

// Error returns the sentinel's text followed by the first 32 problems,
// separated by "; ", and then "; and N more problems" if there are more.
func (e *PlanError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	for i, p := range e.Problems {
		if i == maxErrorProblems {
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	switch more := max(len(e.Problems)-maxErrorProblems, 0) + max(e.More, 0); more {
	case 0:
	case 1:
		b.WriteString("; and 1 more problem")
	default:
		fmt.Fprintf(&b, "; and %d more problems", more)
	}
	return b.String()
}

// newPlanError returns a PlanError for err listing probs: it keeps the
// first maxProblems and counts the rest in More. Problems with the plan as
// a whole should come first in probs, so that they are kept.
func newPlanError(err error, probs []Problem) *PlanError {
	var l problemList
	l.add(probs...)
	return l.err(err)
}

// problemList collects problems, keeping the first maxProblems and
// counting the rest.
type problemList struct {
	probs []Problem
	more  int
}

// add appends probs, as far as there is room.
func (l *problemList) add(probs ...Problem) {
	n := min(len(probs), maxProblems-len(l.probs))
	l.probs = append(l.probs, probs[:n]...)
	l.more += len(probs) - n
}

// addFirst puts p, a problem with the plan as a whole, before the others,
// making room for it if the list is full.
func (l *problemList) addFirst(p Problem) {
	if len(l.probs) == maxProblems {
		l.probs = l.probs[:maxProblems-1]
		l.more++
	}
	l.probs = slices.Insert(l.probs, 0, p)
}

// full reports whether the list keeps no more problems: those added now
// are only counted.
func (l *problemList) full() bool { return len(l.probs) == maxProblems }

// len returns how many problems were added, kept or not.
func (l *problemList) len() int { return len(l.probs) + l.more }

// err returns nil for an empty list, and a *PlanError matching sentinel
// otherwise.
func (l *problemList) err(sentinel error) *PlanError {
	if l.len() == 0 {
		return nil
	}
	return &PlanError{Err: sentinel, Problems: l.probs, More: l.more}
}

// Unwrap returns the sentinel.
func (e *PlanError) Unwrap() error { return e.Err }

// Validate checks the plan and returns a [*PlanError] listing its
// problems, or nil. A plan with more than [MaxPlanRules] rules is refused,
// and only its first MaxPlanRules rules are checked.
func (p Plan) Validate() error {
	var l problemList
	rules := p.Rules
	if len(rules) > MaxPlanRules {
		l.add(tooManyRules(len(rules)))
		rules = rules[:MaxPlanRules]
	}
	for i, r := range rules {
		l.add(r.problems(i)...)
	}
	if err := l.err(ErrInvalidPlan); err != nil {
		return err
	}
	return nil
}

// tooManyRules is the problem of a plan with n rules, more than
// MaxPlanRules; n < 0 means a count the reader stopped making.
func tooManyRules(n int) Problem {
	if n < 0 {
		return Problem{Path: "rules", Message: fmt.Sprintf("more than the limit of %d rules", MaxPlanRules)}
	}
	return Problem{Path: "rules", Message: fmt.Sprintf("%d rules exceed the limit of %d", n, MaxPlanRules)}
}

// tooLarge is the problem of a plan document of n bytes, more than
// MaxPlanSize.
func tooLarge(n int) Problem {
	return Problem{Message: fmt.Sprintf("the plan is %d bytes, more than the limit of %d", n, MaxPlanSize)}
}

// shareProblem returns what is wrong with v as a rate or a share, or ""
// when it is in [0,1].
func shareProblem(v float64) string {
	if math.IsNaN(v) || v < 0 || v > 1 {
		return fmt.Sprintf("%v is outside [0,1]", v)
	}
	return ""
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
		at("point", "%s holds a control character", lex.Excerpt(r.Point, excerptLen))
	}
	if err := r.Fault.Validate(); err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		at("fault."+field, "%s", msg)
	}
	if msg := shareProblem(r.Rate); msg != "" {
		at("rate", "%s", msg)
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
	switch {
	case r.Instances < 0 && r.Instances != -1:
		at("instances", "%v is outside [0,1] and is not -1 (no instance)", r.Instances)
	case r.Instances != -1:
		if msg := shareProblem(r.Instances); msg != "" {
			at("instances", "%s", msg)
		}
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
