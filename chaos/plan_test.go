package chaos_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// planError returns err as a *PlanError, and fails the test unless it is
// one whose sentinel is want.
func planError(t *testing.T, err, want error) *chaos.PlanError {
	t.Helper()
	var pe *chaos.PlanError
	if !errors.As(err, &pe) || !errors.Is(err, want) || pe.Err != want {
		t.Fatalf("error %v (%T) is not a *PlanError matching %v", err, err, want)
	}
	return pe
}

// problemStrings returns the problems of a *PlanError as strings.
func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	var pe *chaos.PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *PlanError", err, err)
	}
	var out []string
	for _, p := range pe.Problems {
		out = append(out, p.String())
	}
	return out
}

func TestPlanValidate(t *testing.T) {
	ok := chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1}
	with := func(f func(r *chaos.Rule)) chaos.Rule {
		r := ok
		f(&r)
		return r
	}
	tests := []struct {
		name string
		rule chaos.Rule
		want []string
	}{
		{"valid", ok, nil},
		{"rate 0 is valid", with(func(r *chaos.Rule) { r.Rate = 0 }), nil},
		{"zero rule", chaos.Rule{}, []string{"rules[1].point: is empty", "rules[1].fault.kind: none is not a fault"}},
		{"control character", with(func(r *chaos.Rule) { r.Point = "a\x7f" }), []string{`rules[1].point: "a\x7f" holds a control character`}},
		{"NaN rate", with(func(r *chaos.Rule) { r.Rate = math.NaN() }), []string{"rules[1].rate: NaN is outside [0,1]"}},
		{"negative rate", with(func(r *chaos.Rule) { r.Rate = -0.5 }), []string{"rules[1].rate: -0.5 is outside [0,1]"}},
		{"every count negative", with(func(r *chaos.Rule) { r.Times, r.After, r.Every = -1, -2, -3 }),
			[]string{"rules[1].times: -1 is negative", "rules[1].after: -2 is negative", "rules[1].every: -3 is negative"}},
		{"negative ttl", with(func(r *chaos.Rule) { r.TTL = -time.Second }), []string{"rules[1].ttl: -1s is negative"}},
		{"until too late", with(func(r *chaos.Rule) { r.Until = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }),
			[]string{"rules[1].until: year 10000 is outside [0,9999]"}},
		{"instances", with(func(r *chaos.Rule) { r.Instances = 1.5 }), []string{"rules[1].instances: 1.5 is outside [0,1]"}},
		{"instances NaN", with(func(r *chaos.Rule) { r.Instances = math.NaN() }), []string{"rules[1].instances: NaN is outside [0,1]"}},
		{"instances -1 is no instance", with(func(r *chaos.Rule) { r.Instances = -1 }), nil},
		{"instances 1", with(func(r *chaos.Rule) { r.Instances = 1 }), nil},
		{"instances negative but not -1", with(func(r *chaos.Rule) { r.Instances = -0.5 }),
			[]string{"rules[1].instances: -0.5 is outside [0,1] and is not -1 (no instance)"}},
		{"hang with a bound", with(func(r *chaos.Rule) { r.Fault = faults.HangFor(time.Second) }), nil},
		{"status below 200", with(func(r *chaos.Rule) { r.Fault = faults.HTTPStatus(100, "") }),
			[]string{"rules[1].fault.code: 100 is not an HTTP status in [200,999]"}},
		{"long point is cut", with(func(r *chaos.Rule) { r.Point = strings.Repeat("x", 100) + "\n" }),
			[]string{`rules[1].point: "` + strings.Repeat("x", 64) + `"... holds a control character`}},
		{"empty label key", with(func(r *chaos.Rule) { r.Labels = map[string]string{"": "x"} }), []string{"rules[1].labels: a label key is empty"}},
		{"fault field", with(func(r *chaos.Rule) { r.Fault = faults.HTTPStatus(42, "") }), []string{"rules[1].fault.code: 42 is not an HTTP status in [200,999]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := chaos.Plan{Rules: []chaos.Rule{ok, tt.rule}}.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			planError(t, err, chaos.ErrInvalidPlan)
			if got := problemStrings(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	if err := (chaos.Plan{}).Validate(); err != nil {
		t.Errorf("the zero Plan does not validate: %v", err)
	}
}

// TestPlanValidateLimits: a plan of more than MaxPlanRules rules is
// refused, and a plan with thousands of problems gives a short error that
// still counts them all.
func TestPlanValidateLimits(t *testing.T) {
	ok := chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1}
	bad := chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 2, Times: -1} // two problems
	tests := []struct {
		name      string
		rules     []chaos.Rule
		wantFirst string // Problems[0]; "" means valid
		wantKept  int
		wantMore  int
		wantTail  string // how Error() ends
	}{
		{"MaxPlanRules rules", slices.Repeat([]chaos.Rule{ok}, chaos.MaxPlanRules), "", 0, 0, ""},
		{"one rule too many", slices.Repeat([]chaos.Rule{ok}, chaos.MaxPlanRules+1),
			"rules: 1001 rules exceed the limit of 1000", 1, 0, "rules: 1001 rules exceed the limit of 1000"},
		{"10000 rules", slices.Repeat([]chaos.Rule{ok}, 10000),
			"rules: 10000 rules exceed the limit of 1000", 1, 0, "rules: 10000 rules exceed the limit of 1000"},
		{"10000 bad rules", slices.Repeat([]chaos.Rule{bad}, 10000),
			// 1 limit problem + 2 problems in each of the first 1000 rules checked
			"rules: 10000 rules exceed the limit of 1000", 100, 1901, "; and 1969 more problems"},
		{"60 bad rules", slices.Repeat([]chaos.Rule{bad}, 60), "rules[0].rate: 2 is outside [0,1]", 100, 20, "; and 88 more problems"},
		{"16 bad rules", slices.Repeat([]chaos.Rule{bad}, 16), "rules[0].rate: 2 is outside [0,1]", 32, 0, "rules[15].times: -1 is negative"},
		{"33 problems", append(slices.Repeat([]chaos.Rule{bad}, 16), chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 3}),
			"rules[0].rate: 2 is outside [0,1]", 33, 0, "rules[15].times: -1 is negative; and 1 more problem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := chaos.Plan{Rules: tt.rules}.Validate()
			if tt.wantFirst == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			pe := planError(t, err, chaos.ErrInvalidPlan)
			if got := pe.Problems[0].String(); got != tt.wantFirst {
				t.Errorf("first problem %q, want %q", got, tt.wantFirst)
			}
			if len(pe.Problems) != tt.wantKept || pe.More != tt.wantMore {
				t.Errorf("%d problems kept and %d more, want %d and %d", len(pe.Problems), pe.More, tt.wantKept, tt.wantMore)
			}
			msg := err.Error()
			if !strings.HasSuffix(msg, tt.wantTail) {
				t.Errorf("Error() ends %q, want %q", msg[max(len(msg)-80, 0):], tt.wantTail)
			}
			if n := strings.Count(msg, "; "); n > 32 {
				t.Errorf("Error() lists %d problems, want at most 33 parts", n+1)
			}
		})
	}
}

func TestPlanErrorFormat(t *testing.T) {
	err := &chaos.PlanError{Err: chaos.ErrRefused, Problems: []chaos.Problem{{Message: "whole plan"}, {Path: "rules[0].rate", Message: "too high"}}}
	if want := "chaos: plan refused by policy: whole plan; rules[0].rate: too high"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if !errors.Is(err, chaos.ErrRefused) || errors.Is(err, chaos.ErrInvalidPlan) {
		t.Error("PlanError matches the wrong sentinel")
	}
	if got := (&chaos.PlanError{Err: chaos.ErrInvalidPlan}).Error(); got != "chaos: invalid plan" {
		t.Errorf("Error() without problems = %q", got)
	}
	many := &chaos.PlanError{Err: chaos.ErrInvalidPlan, More: 7}
	for i := range 40 {
		many.Problems = append(many.Problems, chaos.Problem{Path: fmt.Sprintf("rules[%d].rate", i), Message: "bad"})
	}
	want := "chaos: invalid plan: rules[0].rate: bad"
	for i := 1; i < 32; i++ {
		want += fmt.Sprintf("; rules[%d].rate: bad", i)
	}
	want += "; and 15 more problems" // 8 not listed and 7 not kept
	if got := many.Error(); got != want {
		t.Errorf("Error() of 47 problems\n got %q\nwant %q", got, want)
	}
}

func TestPlanEqual(t *testing.T) {
	base := chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 0.5, Until: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name string
		a, b chaos.Plan
		want bool
	}{
		{"zero", chaos.Plan{}, chaos.Plan{}, true},
		{"nil and empty rules", chaos.Plan{}, chaos.Plan{Rules: []chaos.Rule{}}, true},
		{"version", chaos.Plan{Version: "1"}, chaos.Plan{Version: "2"}, false},
		{"same", chaos.Plan{Rules: []chaos.Rule{base}}, chaos.Plan{Rules: []chaos.Rule{base}}, true},
		{"until in another zone", chaos.Plan{Rules: []chaos.Rule{base}},
			chaos.Plan{Rules: []chaos.Rule{func() chaos.Rule { r := base; r.Until = r.Until.In(time.FixedZone("x", 3600)); return r }()}}, true},
		{"nil and empty labels", chaos.Plan{Rules: []chaos.Rule{base}},
			chaos.Plan{Rules: []chaos.Rule{func() chaos.Rule { r := base; r.Labels = map[string]string{}; return r }()}}, true},
		{"label value", chaos.Plan{Rules: []chaos.Rule{func() chaos.Rule { r := base; r.Labels = map[string]string{"k": "1"}; return r }()}},
			chaos.Plan{Rules: []chaos.Rule{func() chaos.Rule { r := base; r.Labels = map[string]string{"k": "2"}; return r }()}}, false},
		{"label key", chaos.Plan{Rules: []chaos.Rule{func() chaos.Rule { r := base; r.Labels = map[string]string{"k": ""}; return r }()}},
			chaos.Plan{Rules: []chaos.Rule{func() chaos.Rule { r := base; r.Labels = map[string]string{"j": ""}; return r }()}}, false},
		{"rate", chaos.Plan{Rules: []chaos.Rule{base}},
			chaos.Plan{Rules: []chaos.Rule{func() chaos.Rule { r := base; r.Rate = 0.25; return r }()}}, false},
		{"order", chaos.Plan{Rules: []chaos.Rule{base, {Point: "b"}}}, chaos.Plan{Rules: []chaos.Rule{{Point: "b"}, base}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("a.Equal(b) = %v, want %v", got, tt.want)
			}
			if got := tt.b.Equal(tt.a); got != tt.want {
				t.Errorf("b.Equal(a) = %v, want %v", got, tt.want)
			}
		})
	}
}
