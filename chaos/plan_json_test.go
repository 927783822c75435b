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

func TestParsePlanJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want chaos.Plan
	}{
		{"empty object", `{}`, chaos.Plan{}},
		{"no rules", `{"version":"v1","rules":[]}`, chaos.Plan{Version: "v1"}},
		{"rate defaults to 1", `{"rules":[{"point":"a","fault":{"kind":"abort"}}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1}}}},
		{"explicit rate 0", `{"rules":[{"point":"a","fault":{"kind":"abort"},"rate":0}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 0}}}},
		{"fault as text", `{"rules":[{"point":"db.query","fault":"error(timeout)","rate":0.1,"times":3}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "db.query", Fault: faults.Error("timeout"), Rate: 0.1, Times: 3}}}},
		{"every field", `{"version":"gameday-7","rules":[{"point":"GET /users/{id}","fault":{"kind":"latency","delay":"1s","jitter":"250ms"},
			"rate":0.05,"times":10,"after":2,"every":3,"ttl":"5m","until":"2030-01-02T04:04:05+01:00",
			"labels":{"tenant":"acme"},"sticky":"request","instances":0.5}]}`,
			chaos.Plan{Version: "gameday-7", Rules: []chaos.Rule{{Point: "GET /users/{id}",
				Fault: faults.LatencyJitter(time.Second, 250*time.Millisecond), Rate: 0.05, Times: 10, After: 2, Every: 3,
				TTL: 5 * time.Minute, Until: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
				Labels: map[string]string{"tenant": "acme"}, Sticky: "request", Instances: 0.5}}}},
		{"surrounding space", " \n{\"rules\":[{\"point\":\"a\",\"fault\":\"hang\"}]}\n ",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Hang(), Rate: 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chaos.ParsePlanJSON([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParsePlanJSON = %v", err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("ParsePlanJSON\n got %+v\nwant %+v", got, tt.want)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			back, err := chaos.ParsePlanJSON(b)
			if err != nil || !back.Equal(got) {
				t.Errorf("round trip through %s = %+v, %v", b, back, err)
			}
			if dec, err := chaos.DecodePlan([]byte(tt.in)); err != nil || !dec.Equal(got) {
				t.Errorf("DecodePlan = %+v, %v", dec, err)
			}
		})
	}
}

func TestParsePlanJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // the whole error text
	}{
		{"unknown plan field", `{"rules":[],"colour":"red"}`, `chaos: invalid plan: json: unknown field "colour"`},
		{"unknown rule field", `{"rules":[{"point":"a","fault":"abort","probability":1}]}`, `chaos: invalid plan: json: unknown field "probability"`},
		{"unknown fault field", `{"rules":[{"point":"a","fault":{"kind":"abort","why":1}}]}`, `chaos: invalid plan: json: unknown field "why"`},
		{"bad fault text", `{"rules":[{"point":"a","fault":"explode"}]}`,
			`chaos: invalid plan: json: fault "explode": unknown fault "explode" (want delay, error, panic, hang, status, abort, badconn or corrupt)`},
		{"bad ttl", `{"rules":[{"point":"a","fault":"abort","ttl":"soon"}]}`, `chaos: invalid plan: json: ttl: "soon" is not a duration`},
		{"data after", `{"rules":[]} {"rules":[]}`, "chaos: invalid plan: json: data after the plan"},
		{"not an object", `[]`, "chaos: invalid plan: json: plan: want an object, not array"},
		{"rate as a string", `{"rules":[{"point":"a","fault":"abort","rate":"10%"}]}`, "chaos: invalid plan: json: rules.rate: want a number, not string"},
		{"code too large", `{"rules":[{"point":"a","fault":{"kind":"status","code":1e40}}]}`, "chaos: invalid plan: json: rules.fault.code: want an integer, not number 1e40"},
		{"truncated", `{"rules":[`, "chaos: invalid plan: json: unexpected EOF"},
		{"rate out of range", `{"rules":[{"point":"a","fault":"abort"},{"point":"b","fault":"abort"},{"point":"c","fault":"abort","rate":1.5}]}`,
			"chaos: invalid plan: rules[2].rate: 1.5 is outside [0,1]"},
		{"several problems", `{"rules":[{"point":"","fault":{"kind":"latency"},"rate":-1,"times":-2}]}`,
			"chaos: invalid plan: rules[0].point: is empty; rules[0].fault.delay: a latency fault needs a delay; rules[0].rate: -1 is outside [0,1]; rules[0].times: -2 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := chaos.ParsePlanJSON([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParsePlanJSON = %+v, want an error", p)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			if !errors.Is(err, chaos.ErrInvalidPlan) {
				t.Errorf("%v does not match ErrInvalidPlan", err)
			}
		})
	}
}

func TestRuleMarshalJSON(t *testing.T) {
	tests := []struct {
		rule chaos.Rule
		want string
	}{
		{chaos.Rule{Point: "db.query", Fault: faults.Error("timeout"), Rate: 0.1, Times: 3},
			`{"point":"db.query","fault":{"kind":"error","message":"timeout"},"rate":0.1,"times":3}`},
		{chaos.Rule{Point: "a", Fault: faults.Abort()}, `{"point":"a","fault":{"kind":"abort"},"rate":0}`},
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

func TestDecodePlan(t *testing.T) {
	for _, in := range []string{"a=error", "  a=error", `{"rules":[{"point":"a","fault":"error"}]}`, "\t{\"rules\":[{\"point\":\"a\",\"fault\":\"error\"}]}"} {
		p, err := chaos.DecodePlan([]byte(in))
		if err != nil || !p.Equal(chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1}}}) {
			t.Errorf("DecodePlan(%q) = %+v, %v", in, p, err)
		}
	}
	if _, err := chaos.DecodePlan([]byte("{a=error")); !errors.Is(err, chaos.ErrInvalidPlan) {
		t.Errorf("DecodePlan of broken JSON = %v", err)
	}
	if p, err := chaos.DecodePlan(nil); err != nil || len(p.Rules) != 0 {
		t.Errorf("DecodePlan(nil) = %+v, %v", p, err)
	}
}
