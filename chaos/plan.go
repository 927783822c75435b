package chaos

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/lex"
)

// Plan is a versioned list of rules: the faults an engine switches on. The
// zero Plan switches everything off. Plans are values: [Engine.Apply]
// copies what it needs, so a caller may reuse a Plan after applying it.
//
// A plan reads and writes as JSON ([Plan.MarshalJSON]) and as one line of
// text ([Plan.String]); [ParsePlan] reads either.
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
	// Fault is what happens when the rule fires. It is zero when Choices
	// is not empty.
	Fault faults.Fault
	// Choices, when not empty, are the faults the rule picks among each
	// time it fires, by weight, with a draw from the decision (so the same
	// seed picks the same): a rule of "delay(100ms)@3|error" fires the
	// delay three times as often as the error. It holds 2 to
	// [MaxChoices] faults, and Fault is then zero. Nil means the rule
	// fires Fault.
	Choices []Choice
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

// Choice is one of the faults a rule picks among (see [Rule].Choices).
type Choice struct {
	// Weight is how often the choice is picked, relative to the others'
	// weights. Zero means 1; a negative weight turns the choice off, so it
	// is never picked. At most [MaxWeight].
	Weight int `json:"weight,omitempty"`
	// Fault is what happens when the choice is picked.
	Fault faults.Fault `json:"fault"`
}

// The limits of a rule's choices.
const (
	// MaxChoices is the most faults a rule may choose among.
	MaxChoices = 16
	// MaxWeight is the largest weight of a choice.
	MaxWeight = 1_000_000
)

// The limits every plan reader holds to, so that a plan from a file, a
// flag or an HTTP body cannot make a parser or the engine do unbounded
// work.
const (
	// MaxPlanRules is the most rules a plan may hold. [Plan.Validate]
	// refuses a plan with more, and the parsers stop reading at the rule
	// after the last one allowed. A [Policy] may set a lower limit.
	MaxPlanRules = 1000
	// MaxPlanSize is the largest plan document, in bytes, that
	// [ParsePlan] and [Plan.UnmarshalJSON] read, spaces included. A larger
	// one is refused before any of it is parsed.
	MaxPlanSize = 1 << 20
)

// ParsePlan reads a plan in either of its forms, validates it and returns
// it. A document whose first byte that is not a space is '{' is JSON, and
// any other is the one-line text form; so a file, a variable, a flag or an
// HTTP body may hold either. The zero Plan is what an empty or blank
// document reads as.
//
// The text form is a cousin of the failpoint terms Go users know:
//
//	payments.charge=10%delay(200ms);db.query=3*error(timeout)
//
// Its grammar, in EBNF (spaces around tokens are allowed):
//
//	plan     = [ rule { ";" rule } [ ";" ] ] .
//	rule     = point "=" [ percent "%" ] [ count "*" ] faults [ "[" option { "," option } "]" ] .
//	point    = bare | quoted .
//	faults   = fault | choice "|" choice { "|" choice } .
//	choice   = fault [ "@" weight ] .
//	fault    = "delay(" duration [ "," duration ] ")"
//	         | "delay(" dist ")"
//	         | "error" [ "(" value [ "," status ] ")" ]
//	         | "panic" [ "(" value ")" ]
//	         | "hang" [ "(" duration ")" ]
//	         | "pause" [ "(" duration ")" ]
//	         | "squeeze(" duration ")" | "cancel"
//	         | "status(" status [ "," value ] ")"
//	         | "abort" | "badconn" | "corrupt"
//	         | "custom(" name ")" | name .
//	dist     = "normal(" duration "," duration [ "," duration ] ")"
//	         | "lognormal(" duration "," number [ "," duration ] ")"
//	         | "pareto(" duration "," number [ "," duration ] ")" .
//	option   = "after=" count | "every=" count | "ttl=" duration
//	         | "until=" rfc3339 | "sticky=" value | "instances=" percent "%"
//	         | "label." key "=" value .
//	value    = bare | quoted .
//	percent  = decimal number, 0 to 100 .
//	count    = decimal integer .
//	weight   = [ "-" ] decimal integer .
//	name     = a custom fault's registered name (see [faults.Register]) .
//	number   = decimal number, as strconv.ParseFloat reads it .
//	duration = Go duration, as in "200ms" or "1m30s" .
//	quoted   = Go double-quoted string .
//
// A rule without a percent fires on every eligible call (rate 1); without
// a count it has no cap. A hang without a duration is bounded by the
// engine (see [faults.Fault.HangLimit]), and so is a pause, which holds the
// call until [Point.Release]. squeeze(D) gives the call's context a
// deadline at most D from now (through [Point.InjectContext] or
// [Decision.Context]); cancel, which is squeeze(0), cancels it. A
// distribution draws the delay from the decision, as jitter does:
// normal(MEAN,SD), lognormal(MEDIAN,SIGMA) or pareto(SCALE,ALPHA), capped
// at the optional last duration, else at the policy's MaxLatency, else at
// [faults.DefaultHangLimit]. A custom fault runs the function registered
// under its name, and a plan naming one not registered is invalid; the
// bare name is read when it is not a built-in fault, and custom(name) is
// written. Choices are picked by weight from the decision; a choice
// without a weight has weight 1 (Choice.Weight 0), and one of a negative
// weight is never picked. Without an instances option a
// rule applies on every instance; "instances=0%" applies it on none
// (Rule.Instances -1). A bare point holds none of = ; [ ] , % " ' or
// space; quote any other. The plan's version is not part of the text form.
// [Plan.String] writes the form back, and ParsePlan(p.String()) equals p
// for every valid p.
//
// The JSON form is what [Plan.MarshalJSON] writes, and ParsePlan reads it
// more strictly than encoding/json: it refuses unknown fields, a key given
// twice ("rules[1].rate: duplicate key"), two keys of a plan, rule or fault
// that differ only in case (`rules[0]: keys "rate" and "Rate" differ only
// in case`), null where a number belongs ("rules[2].times: null is not a
// number"), and data after the plan.
//
// Every error is a [*PlanError] matching [ErrInvalidPlan] that lists every
// problem found, each with its place ("rules[1]: …"), including those
// [Plan.Validate] finds. In the text form an unterminated quote or an
// unbalanced bracket is reported with its rule, its byte offset in s and
// the text there; the rules after it cannot be told apart and are not
// read. A malformed JSON document is reported with the decoder's message.
// A document longer than [MaxPlanSize] bytes is refused unread, and
// reading stops at the rule after the [MaxPlanRules]th.
func ParsePlan(s string) (Plan, error) {
	if len(s) > MaxPlanSize {
		return Plan{}, newPlanError(ErrInvalidPlan, []Problem{tooLarge(len(s))})
	}
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
		return parsePlanJSON([]byte(t))
	}
	return parsePlanText(s)
}

// MustParsePlan is like [ParsePlan] but panics if s does not parse. It is
// for plans written in code and tests.
func MustParsePlan(s string) Plan {
	p, err := ParsePlan(s)
	if err != nil {
		panic(err)
	}
	return p
}

// excerptLen is how much of a long value a problem message quotes.
const excerptLen = 64

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

// fieldProblems collects the problems of the fields of one value, a rule
// or a policy, each with its path: prefix and the field's name.
type fieldProblems struct {
	prefix string // as in "rules[2]." or "policy."
	probs  []Problem
}

// add notes a problem with field.
func (f *fieldProblems) add(field, format string, args ...any) {
	f.probs = append(f.probs, Problem{Path: f.prefix + field, Message: fmt.Sprintf(format, args...)})
}

// share notes a field that is not a rate or a share in [0,1].
func (f *fieldProblems) share(field string, v float64) {
	if msg := shareProblem(v); msg != "" {
		f.add(field, "%s", msg)
	}
}

// notNegative notes a count or a duration below zero.
func notNegative[T int | time.Duration](f *fieldProblems, field string, v T) {
	if v < 0 {
		f.add(field, "%v is negative", v)
	}
}

// problems lists what is wrong with the rule at index i of a plan.
func (r Rule) problems(i int) []Problem {
	f := fieldProblems{prefix: "rules[" + strconv.Itoa(i) + "]."}
	switch {
	case r.Point == "":
		f.add("point", "is empty")
	case strings.ContainsFunc(r.Point, func(c rune) bool { return c < ' ' || c == 0x7f }):
		f.add("point", "%s holds a control character", lex.Excerpt(r.Point, excerptLen))
	}
	if len(r.Choices) == 0 {
		faultProblem(&f, "fault.", r.Fault)
	} else {
		r.choiceProblems(&f)
	}
	f.share("rate", r.Rate)
	notNegative(&f, "times", r.Times)
	notNegative(&f, "after", r.After)
	notNegative(&f, "every", r.Every)
	notNegative(&f, "ttl", r.TTL)
	if y := r.Until.UTC().Year(); !r.Until.IsZero() && (y < 0 || y > 9999) {
		f.add("until", "year %d is outside [0,9999]", y)
	}
	switch {
	case r.Instances < 0 && r.Instances != -1:
		f.add("instances", "%v is outside [0,1] and is not -1 (no instance)", r.Instances)
	case r.Instances != -1:
		f.share("instances", r.Instances)
	}
	if _, ok := r.Labels[""]; ok {
		f.add("labels", "a label key is empty")
	}
	return f.probs
}

// faultProblem notes what is wrong with fault v, whose path is at.
func faultProblem(f *fieldProblems, at string, v faults.Fault) {
	if err := v.Validate(); err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		f.add(at+field, "%s", msg)
	}
}

// choiceProblems notes what is wrong with the choices of r.
func (r Rule) choiceProblems(f *fieldProblems) {
	if !r.Fault.IsZero() {
		f.add("fault", "a rule with choices has no fault of its own")
	}
	switch n := len(r.Choices); {
	case n == 1:
		f.add("choices", "one choice; write its fault as the rule's")
	case n > MaxChoices:
		f.add("choices", "%d choices exceed the limit of %d", n, MaxChoices)
	}
	on := false
	for j, c := range r.Choices[:min(len(r.Choices), MaxChoices)] {
		at := "choices[" + strconv.Itoa(j) + "]."
		faultProblem(f, at+"fault.", c.Fault)
		if c.Weight > MaxWeight {
			f.add(at+"weight", "%d exceeds the limit of %d", c.Weight, MaxWeight)
		}
		on = on || c.Weight >= 0
	}
	if !on {
		f.add("choices", "every choice is off (a negative weight)")
	}
}

// faultsOf returns the faults rule r may inject: its Fault, or its
// choices' faults.
func (r Rule) faultsOf() []faults.Fault {
	if len(r.Choices) == 0 {
		return []faults.Fault{r.Fault}
	}
	fs := make([]faults.Fault, len(r.Choices))
	for i, c := range r.Choices {
		fs[i] = c.Fault
	}
	return fs
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
	return r.Point == s.Point && r.Fault == s.Fault && slices.Equal(r.Choices, s.Choices) && r.Rate == s.Rate &&
		r.Times == s.Times && r.After == s.After && r.Every == s.Every &&
		r.TTL == s.TTL && r.Until.Equal(s.Until) && r.Sticky == s.Sticky &&
		r.Instances == s.Instances
}
