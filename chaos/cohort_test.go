package chaos_test

import (
	"fmt"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// TestInCohortMatchesStickyRules: a key is in the cohort exactly when a
// sticky rule at the same rate fires for it, and the cohort depends on the
// seed and the key only.
func TestInCohortMatchesStickyRules(t *testing.T) {
	tests := []struct {
		name  string
		seed  uint64
		share float64
		want  func(in int) bool // of 1000 keys
	}{
		{"none", 1, 0, func(in int) bool { return in == 0 }},
		{"negative", 1, -0.5, func(in int) bool { return in == 0 }},
		{"every key", 1, 1, func(in int) bool { return in == 1000 }},
		{"a fifth", 11, 0.2, func(in int) bool { return in > 150 && in < 250 }},
		{"half", 42, 0.5, func(in int) bool { return in > 440 && in < 560 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(tt.seed))
			same := chaos.New(chaos.WithSeed(tt.seed), chaos.WithInstance("other"))
			p := e.Point("checkout")
			rule := chaos.Rule{Point: "checkout", Fault: faults.Error("down"), Sticky: "user", Rate: min(max(tt.share, 0), 1)}
			err := e.Apply(chaos.Plan{Rules: []chaos.Rule{rule}})
			if err != nil {
				t.Fatal(err)
			}
			var in int
			for i := range 1000 {
				key := fmt.Sprintf("user-%d", i)
				got := e.InCohort(key, tt.share)
				if got {
					in++
				}
				fired := p.DecideLabels(t.Context(), chaos.Label{Key: "user", Value: key}).Fired()
				if fired != got {
					t.Fatalf("seed %d: InCohort(%q, %v) = %v, but the sticky rule fired %v", tt.seed, key, tt.share, got, fired)
				}
				if same.InCohort(key, tt.share) != got {
					t.Fatalf("seed %d: InCohort(%q) differs between two engines with the same seed", tt.seed, key)
				}
			}
			if !tt.want(in) {
				t.Errorf("seed %d: %d of 1000 keys in a cohort of share %v", tt.seed, in, tt.share)
			}
		})
	}
}
