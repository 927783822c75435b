package chaos

import (
	"time"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/mix"
)

// compiledRule is a Rule ready for evaluation.
type compiledRule struct {
	index   int
	rule    Rule
	salt    uint64
	after   uint64
	every   uint64
	times   uint64
	labels  []Label
	expires time.Time
	glob    glob
	alts    []alt  // the rule's fault, or its choices
	total   uint64 // the sum of the weights of the choices that are on
}

// alt is one fault a rule may inject: its only one, or one of its
// choices, ready for evaluation.
type alt struct {
	fault faults.Fault
	fn    faults.Func   // a custom fault's function
	bound time.Duration // how long a hang or pause blocks at most; the cap of a drawn latency (0: the fault's own)
	upto  uint64        // the choice is picked for a weighted draw below upto
}

// choiceSalt separates the draw that picks a rule's choice from the one
// that draws its latency.
const choiceSalt = 0x63686f6963650a

func compileRule(i int, r Rule, now time.Time, pol *compiledPolicy) *compiledRule {
	c := &compiledRule{
		index: i,
		rule:  r,
		glob:  compileGlob(r.Point),
		salt:  mix.Mix(uint64(i) + 0x5bd1e995),
		after: uint64(r.After),
		every: uint64(r.Every),
		times: uint64(r.Times),
	}
	for k, v := range r.Labels {
		c.labels = append(c.labels, Label{Key: k, Value: v})
	}
	if r.TTL > 0 {
		c.expires = now.Add(r.TTL)
	}
	if !r.Until.IsZero() && (c.expires.IsZero() || r.Until.Before(c.expires)) {
		c.expires = r.Until
	}
	if len(r.Choices) == 0 {
		c.alts = []alt{compileAlt(r.Fault, pol)}
		return c
	}
	c.alts = make([]alt, len(r.Choices))
	for j, ch := range r.Choices {
		c.alts[j] = compileAlt(ch.Fault, pol)
		if w := ch.Weight; w >= 0 {
			c.total += uint64(max(w, 1))
		}
		c.alts[j].upto = c.total
	}
	return c
}

// compileAlt readies one fault of a rule under the policy pol.
func compileAlt(f faults.Fault, pol *compiledPolicy) alt {
	a := alt{fault: f}
	var limit time.Duration // the policy's MaxLatency, or 0
	if pol != nil {
		limit = pol.MaxLatency
	}
	switch {
	case f.Kind == faults.KindHang || f.Kind == faults.KindPause:
		a.bound = f.HangLimit()
		if limit > 0 && (f.Delay == 0 || limit < a.bound) {
			a.bound = limit
		}
	case f.Kind == faults.KindLatency && f.Dist != faults.Uniform && limit > 0:
		a.bound = limit
		if f.Max > 0 {
			a.bound = min(f.Max, limit)
		}
	case f.Kind == faults.KindCustom:
		a.fn = faults.Lookup(f.Name)
	}
	return a
}

// pick returns the index of the choice the draw h picks: 0 for a rule
// with a single fault.
func (c *compiledRule) pick(h uint64) int {
	if len(c.alts) == 1 {
		return 0
	}
	x := mix.Mix(h^choiceSalt) % c.total
	for i := range c.alts {
		if x < c.alts[i].upto {
			return i
		}
	}
	return len(c.alts) - 1 // not reached: the last choice on ends at total
}

// counts reports whether the rule counts calls (After, Every, Times), and
// so needs its points to decide on their exact sequence.
func (c *compiledRule) counts() bool { return c.after > 0 || c.every > 1 || c.times > 0 }
