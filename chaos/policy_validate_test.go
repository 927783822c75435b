package chaos_test

import (
	"slices"
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
	planError(t, err, chaos.ErrRefused)
	want := []string{
		"policy.max_rate: 2 is outside [0,1]",
		"policy.max_rules: -1 is negative",
		`policy.windows[0].start: "9am" is not a time of day (HH:MM)`,
	}
	if got := problemStrings(t, err); !slices.Equal(got, want) {
		t.Errorf("problems\n got %q\nwant %q", got, want)
	}
}
