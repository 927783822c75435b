package chaos_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

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
		{"empty label key", with(func(r *chaos.Rule) { r.Labels = map[string]string{"": "x"} }), []string{"rules[1].labels: a label key is empty"}},
		{"fault field", with(func(r *chaos.Rule) { r.Fault = faults.Status(42, "") }), []string{"rules[1].fault.code: 42 is not an HTTP status"}},
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
			var pe *chaos.PlanError
			if !errors.As(err, &pe) || !errors.Is(err, chaos.ErrInvalidPlan) {
				t.Fatalf("Validate() = %v, want a *PlanError matching ErrInvalidPlan", err)
			}
			var got []string
			for _, p := range pe.Problems {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	if err := (chaos.Plan{}).Validate(); err != nil {
		t.Errorf("the zero Plan does not validate: %v", err)
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
