package chaos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faultline-go/faultline/faults"
)

// ruleJSON is the JSON shape of a Rule: durations as Go duration strings,
// and a rate that defaults to 1 when left out.
type ruleJSON struct {
	Point     string            `json:"point"`
	Fault     *faults.Fault     `json:"fault,omitempty"`
	Choices   []Choice          `json:"choices,omitempty"`
	Rate      *float64          `json:"rate,omitempty"`
	Times     int               `json:"times,omitempty"`
	After     int               `json:"after,omitempty"`
	Every     int               `json:"every,omitempty"`
	TTL       string            `json:"ttl,omitempty"`
	Until     *time.Time        `json:"until,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	Sticky    string            `json:"sticky,omitempty"`
	Instances *float64          `json:"instances,omitempty"`
}

type planJSON struct {
	Version string `json:"version,omitempty"`
	Rules   []Rule `json:"rules"`
}

// MarshalJSON encodes the rule as an object such as
//
//	{"point":"db.query","fault":{"kind":"error","message":"timeout"},"rate":0.1,"times":3}
//
// A rule with choices writes them as "choices":[{"weight":3,"fault":…},…]
// in place of "fault". Zero fields are left out, except the rate, which is
// always written.
// Instances -1 (no instance) is written "instances": 0.
func (r Rule) MarshalJSON() ([]byte, error) {
	rate := r.Rate
	j := ruleJSON{Point: r.Point, Rate: &rate, Times: r.Times, After: r.After,
		Every: r.Every, Labels: r.Labels, Sticky: r.Sticky, Choices: r.Choices}
	if len(r.Choices) == 0 || !r.Fault.IsZero() {
		j.Fault = &r.Fault
	}
	switch inst := r.Instances; {
	case inst > 0 || math.IsNaN(inst):
		j.Instances = &inst
	case inst < 0:
		j.Instances = new(float64)
	}
	if r.TTL != 0 {
		j.TTL = r.TTL.String()
	}
	if !r.Until.IsZero() {
		u := r.Until.UTC()
		j.Until = &u
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what [Rule.MarshalJSON] writes. A missing rate
// means 1, and the fault may also be a string in the text form ("error(timeout)").
// A missing instances means all instances (Instances 0), and
// "instances": 0 none (Instances -1). Unknown fields are an error.
// Duplicate keys and nulls are refused by [ParsePlan] and
// [Plan.UnmarshalJSON], not here.
func (r *Rule) UnmarshalJSON(b []byte) error {
	var j ruleJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	v := Rule{Point: j.Point, Rate: 1, Times: j.Times, After: j.After,
		Every: j.Every, Labels: j.Labels, Sticky: j.Sticky, Choices: j.Choices}
	if j.Fault != nil {
		v.Fault = *j.Fault
	}
	if j.Rate != nil {
		v.Rate = *j.Rate
	}
	if j.Instances != nil {
		v.Instances = *j.Instances
		if v.Instances == 0 {
			v.Instances = -1 // present and 0: no instance
		}
	}
	if j.TTL != "" {
		d, err := time.ParseDuration(j.TTL)
		if err != nil {
			return fmt.Errorf("ttl: %q is not a duration", j.TTL)
		}
		v.TTL = d
	}
	if j.Until != nil {
		v.Until = j.Until.UTC()
	}
	*r = v
	return nil
}

// MarshalJSON encodes the plan as {"version":…,"rules":[…]}.
func (p Plan) MarshalJSON() ([]byte, error) {
	rules := p.Rules
	if rules == nil {
		rules = []Rule{}
	}
	return json.Marshal(planJSON{Version: p.Version, Rules: rules})
}

// UnmarshalJSON decodes what [Plan.MarshalJSON] writes, for a plan inside
// another JSON document. Like [ParsePlan] it refuses a document larger than
// [MaxPlanSize], more than [MaxPlanRules] rules, unknown fields, duplicate
// keys, keys that differ only in case and null numbers, with a
// [*PlanError]. A malformed document fails with the decoder's own error. It
// does not validate the rules: [ParsePlan] and [Engine.Apply] do.
func (p *Plan) UnmarshalJSON(b []byte) error {
	dec, err := strictDecoder(b)
	if err != nil {
		return err
	}
	var j planJSON
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*p = Plan(j)
	return nil
}

// parsePlanJSON reads a plan in the JSON form described at [ParsePlan],
// and validates it.
func parsePlanJSON(b []byte) (Plan, error) {
	dec, err := strictDecoder(b)
	if err != nil {
		return Plan{}, err
	}
	var j planJSON
	if err := dec.Decode(&j); err != nil {
		return Plan{}, newPlanError(ErrInvalidPlan, []Problem{{Message: jsonMessage(err)}})
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Plan{}, newPlanError(ErrInvalidPlan, []Problem{{Message: "json: data after the plan"}})
	}
	p := Plan(j)
	if err := p.Validate(); err != nil {
		return Plan{}, err
	}
	return p, nil
}

// strictDecoder makes the checks of a plan document that encoding/json
// does not (its size, and those of checkPlanJSON) and returns a decoder
// for it that refuses unknown fields.
func strictDecoder(b []byte) (*json.Decoder, error) {
	if len(b) > MaxPlanSize {
		return nil, newPlanError(ErrInvalidPlan, []Problem{tooLarge(len(b))})
	}
	if err := checkPlanJSON(b); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec, nil
}

// jsonMessage words a decoding error in the plan's terms: one "json: "
// prefix, and for a value of the wrong type the field and the types rather
// than the names of unexported Go types.
func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type != nil {
		field := te.Field
		if field == "" {
			field = "plan"
		}
		return cutMessage(fmt.Sprintf("json: %s: want %s, not %s", field, jsonType(te.Type), te.Value))
	}
	return cutMessage("json: " + strings.TrimPrefix(err.Error(), "json: "))
}

// maxMessage is the longest message of a decoding error a problem keeps.
const maxMessage = 256

// cutMessage cuts msg, which may quote a long key or value, to maxMessage
// bytes, at a rune boundary.
func cutMessage(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	n := maxMessage
	for n > 0 && !utf8.RuneStart(msg[n]) {
		n--
	}
	return msg[:n] + "..."
}

// jsonType names the JSON type that decodes into t.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
