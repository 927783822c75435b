package chaos_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// TestRuleString pins the text of rules built in Go, including
// values the parser never produces itself.
func TestRuleString(t *testing.T) {
	tests := []struct {
		rule chaos.Rule
		want string
	}{
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1}, "a=abort"},
		{chaos.Rule{Point: "a", Fault: faults.Abort()}, "a=0%abort"},
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: math.Copysign(0, -1)}, "a=0%abort"},
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1.0 / 3}, "a=33.33333333333333%abort"},
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 5e-324}, "a=0." + strings.Repeat("0", 321) + "5%abort"},
		{chaos.Rule{Point: "f(x", Fault: faults.Abort(), Rate: 1}, `"f(x"=abort`},
		{chaos.Rule{Point: "", Fault: faults.Abort(), Rate: 1}, `""=abort`},
		{chaos.Rule{Point: " a", Fault: faults.Abort(), Rate: 1}, `" a"=abort`},
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1, Sticky: "x)"}, `a=abort[sticky="x)"]`},
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1, Labels: map[string]string{"k": "}", "": "v"}}, `a=abort[label.""=v,label.k="}"]`},
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: -1}, "a=abort[instances=0%]"},
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: math.Copysign(0, -1)}, "a=abort"},
		{chaos.Rule{Point: "a", Fault: faults.HangFor(time.Minute), Rate: 1}, "a=hang(1m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.rule.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if tt.rule.Point == "" || tt.rule.Labels[""] != "" {
				return // invalid rules have a text form but do not parse back
			}
			back, err := chaos.ParsePlan(tt.want)
			if err != nil || !back.Equal(chaos.Plan{Rules: []chaos.Rule{tt.rule}}) {
				t.Errorf("ParsePlan(%q) = %+v, %v", tt.want, back, err)
			}
		})
	}
}
