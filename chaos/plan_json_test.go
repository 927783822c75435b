package chaos_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

func TestRuleMarshalJSON(t *testing.T) {
	tests := []struct {
		rule chaos.Rule
		want string
	}{
		{chaos.Rule{Point: "db.query", Fault: faults.Error("timeout"), Rate: 0.1, Times: 3},
			`{"point":"db.query","fault":{"kind":"error","message":"timeout"},"rate":0.1,"times":3}`},
		{chaos.Rule{Point: "a", Fault: faults.Abort()}, `{"point":"a","fault":{"kind":"abort"},"rate":0}`},
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: -1}, `{"point":"a","fault":{"kind":"abort"},"rate":1,"instances":0}`},
		{chaos.Rule{Point: "a", Fault: faults.HangFor(time.Second), Rate: 1}, `{"point":"a","fault":{"kind":"hang","delay":"1s"},"rate":1}`},
		{chaos.Rule{Point: "a", Fault: faults.Abort(), Rate: 1, TTL: time.Minute, Until: time.Date(2030, 1, 2, 4, 4, 5, 0, time.FixedZone("", 3600)),
			Labels: map[string]string{"b": "2", "a": "1"}, Sticky: "a", Instances: 0.25},
			`{"point":"a","fault":{"kind":"abort"},"rate":1,"ttl":"1m0s","until":"2030-01-02T03:04:05Z","labels":{"a":"1","b":"2"},"sticky":"a","instances":0.25}`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			b, err := json.Marshal(tt.rule)
			if err != nil || string(b) != tt.want {
				t.Errorf("Marshal = %s, %v\nwant %s", b, err, tt.want)
			}
		})
	}
	b, err := json.Marshal(chaos.Plan{})
	if err != nil || string(b) != `{"rules":[]}` {
		t.Errorf("Marshal(Plan{}) = %s, %v", b, err)
	}
	var r chaos.Rule
	if err := json.Unmarshal([]byte(`{"point":"a","fault":"abort","ttl":"x"}`), &r); err == nil || !strings.Contains(err.Error(), "ttl") {
		t.Errorf("Unmarshal with a bad ttl = %v", err)
	}
}

// TestPlanUnmarshalJSONStrict: a Plan inside another document is read as
// strictly as by ParsePlan, and the error is a *PlanError.
func TestPlanUnmarshalJSONStrict(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"duplicate key", `{"plan":{"rules":[{"point":"a","fault":"abort","times":1,"times":2}]}}`,
			"chaos: invalid plan: rules[0].times: duplicate key"},
		{"null number", `{"plan":{"rules":[{"point":"a","fault":"abort","every":null}]}}`,
			"chaos: invalid plan: rules[0].every: null is not a number"},
		{"too many rules", `{"plan":{"rules":[` + strings.Repeat(`{"point":"a","fault":"abort"},`, 10000) + `{}]}}`,
			"chaos: invalid plan: rules: more than the limit of 1000 rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc struct{ Plan chaos.Plan }
			err := json.Unmarshal([]byte(tt.in), &doc)
			var pe *chaos.PlanError
			if !errors.As(err, &pe) || !errors.Is(err, chaos.ErrInvalidPlan) || err.Error() != tt.want {
				t.Errorf("Unmarshal = %v (%T), want a *PlanError %q", err, err, tt.want)
			}
		})
	}
	var p chaos.Plan
	if err := json.Unmarshal([]byte(`{"rules":[{"point":"a","fault":"abort","instances":0}]}`), &p); err != nil ||
		!p.Equal(chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: -1}}}) {
		t.Errorf("Unmarshal = %+v, %v", p, err)
	}
}
