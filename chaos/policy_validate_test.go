package chaos_test

import (
	"errors"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

func TestPolicyValidate(t *testing.T) {
	if err := chaos.ProductionPolicy().Validate(); err != nil {
		t.Errorf("ProductionPolicy: %v", err)
	}
	if err := (chaos.Policy{}).Validate(); err != nil {
		t.Errorf("zero Policy: %v", err)
	}
	err := chaos.Policy{MaxRate: 2, MaxRules: -1, Windows: []chaos.TimeWindow{{Start: "9am"}}}.Validate()
	var pe *chaos.PlanError
	if !errors.As(err, &pe) || !errors.Is(err, chaos.ErrRefused) {
		t.Fatalf("err = %v, want a *PlanError matching ErrRefused", err)
	}
	want := []string{
		"policy.max_rate: 2 is outside [0,1]",
		"policy.max_rules: -1 is negative",
		`policy.windows[0].start: "9am" is not a time of day (HH:MM)`,
	}
	if len(pe.Problems) != len(want) {
		t.Fatalf("problems %v, want %v", pe.Problems, want)
	}
	for i, w := range want {
		if got := pe.Problems[i].String(); got != w {
			t.Errorf("problem %d = %q, want %q", i, got, w)
		}
	}
}
