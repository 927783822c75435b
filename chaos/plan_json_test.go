package chaos_test

import (
	"encoding/json"
	"errors"
	"slices"
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
		{"hang with a bound", `{"rules":[{"point":"a","fault":{"kind":"hang","delay":"30s"}},{"point":"b","fault":"hang(1m)"}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.HangFor(30 * time.Second), Rate: 1},
				{Point: "b", Fault: faults.HangFor(time.Minute), Rate: 1}}}},
		{"instances 0 is no instance", `{"rules":[{"point":"a","fault":"abort","instances":0}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: -1}}}},
		{"instances -1 is no instance", `{"rules":[{"point":"a","fault":"abort","instances":-1}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: -1}}}},
		{"instances left out is all", `{"rules":[{"point":"a","fault":"abort"}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: 0}}}},
		{"same key in different objects", `{"rules":[{"point":"a","fault":{"kind":"error","code":503},"labels":{"rate":"x","Rate":"y"}},{"point":"a","fault":"abort"}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Fault{Kind: faults.KindError, Code: 503}, Rate: 1, Labels: map[string]string{"rate": "x", "Rate": "y"}},
				{Point: "a", Fault: faults.Abort(), Rate: 1}}}},
		{"exactly MaxPlanRules", `{"rules":[` + strings.Repeat(`{"point":"a","fault":"abort"},`, chaos.MaxPlanRules-1) + `{"point":"a","fault":"abort"}]}`,
			chaos.Plan{Rules: slices.Repeat([]chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1}}, chaos.MaxPlanRules)}},
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
		{"duplicate rule key", `{"rules":[{"point":"a","fault":"abort"},{"point":"b","fault":"abort","rate":0.1,"rate":1}]}`,
			"chaos: invalid plan: rules[1].rate: duplicate key"},
		{"keys that differ in case", `{"rules":[{"point":"a","fault":"abort","rate":0.1,"Rate":1}]}`,
			`chaos: invalid plan: rules[0]: keys "rate" and "Rate" differ only in case`},
		{"null count", `{"rules":[{"point":"a","fault":"abort"},{"point":"b","fault":"abort"},{"point":"c","fault":"abort","times":null}]}`,
			"chaos: invalid plan: rules[2].times: null is not a number"},
		{"every issue with its path", `{"version":"1","VERSION":"2","rules":[
			{"point":"a","fault":{"kind":"status","code":null,"code":503},"rate":null,"after":null,"every":null,"instances":null,"Point":"b"},
			{"point":"a","fault":"abort","labels":{"k":"1","k":"2","K":"3"},"labels":{}}],"rules":[]}`,
			`chaos: invalid plan: keys "version" and "VERSION" differ only in case; rules[0].fault.code: null is not a number; ` +
				`rules[0].fault.code: duplicate key; rules[0].rate: null is not a number; rules[0].after: null is not a number; ` +
				`rules[0].every: null is not a number; rules[0].instances: null is not a number; ` +
				`rules[0]: keys "point" and "Point" differ only in case; rules[1].labels["k"]: duplicate key; rules[1].labels: duplicate key; rules: duplicate key`},
		{"odd keys in paths", `{"rules":[{"point":"a","fault":"abort","labels":{"a b":"1","a b":"2"},"x.y":1,"x.y":2}]}`,
			`chaos: invalid plan: rules[0].labels["a b"]: duplicate key; rules[0]["x.y"]: duplicate key`},
		{"problems in broken JSON", `{"rules":[{"point":"a","point":"b","fault":"abort"}`, "chaos: invalid plan: json: unexpected EOF"},
		{"escaped keys", `{"rules":[{"point":"a","fault":"abort","\u0072ate":0.5,"rate":1}]}`, "chaos: invalid plan: rules[0].rate: duplicate key"},
		{"status below 200", `{"rules":[{"point":"a","fault":{"kind":"status","code":100}}]}`,
			"chaos: invalid plan: rules[0].fault.code: 100 is not an HTTP status in [200,999]"},
		{"instances out of range", `{"rules":[{"point":"a","fault":"abort","instances":-0.5}]}`,
			"chaos: invalid plan: rules[0].instances: -0.5 is outside [0,1] and is not -1 (no instance)"},
		{"nested too deep", `{"rules":[{"point":"a","fault":"abort","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]}`,
			"chaos: invalid plan: rules[0].x[0][0][0][0][0][0][0][0][0][0][0][0][0]: json: nested more than 16 deep"},
		{"long unknown key is cut", `{"rules":[{"point":"a","fault":"abort","` + strings.Repeat("k", 1000) + `":1}]}`,
			`chaos: invalid plan: json: unknown field "` + strings.Repeat("k", 256-len(`json: unknown field "`)) + "..."},
		{"one more than MaxPlanRules", `{"rules":[` + strings.Repeat(`{"point":"a","fault":"abort"},`, chaos.MaxPlanRules) + `{"point":"a","fault":"abort"}]}`,
			"chaos: invalid plan: rules: more than the limit of 1000 rules"},
		{"larger than MaxPlanSize", `{"version":"` + strings.Repeat("v", chaos.MaxPlanSize) + `"}`,
			"chaos: invalid plan: the plan is 1048590 bytes, more than the limit of 1048576"},
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

// TestPlanUnmarshalJSONStrict: a Plan inside another document is read as
// strictly as by ParsePlanJSON, and the error is a *PlanError.
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

// TestDecodePlanLimits: every reader refuses a document over MaxPlanSize
// and a plan of 10,000 rules, with an error that stays short.
func TestDecodePlanLimits(t *testing.T) {
	big := strings.Repeat(" ", chaos.MaxPlanSize) + "a=abort"
	tests := []struct {
		name  string
		parse func([]byte) (chaos.Plan, error)
		in    []byte
		want  string // the first problem
	}{
		{"text: 1 MiB of ;", parseText, []byte(strings.Repeat(";", chaos.MaxPlanSize)), "rules: more than the limit of 1000 rules"},
		{"text: one byte over", parseText, []byte(big), "the plan is 1048583 bytes, more than the limit of 1048576"},
		{"text: 10000 rules", parseText, []byte(strings.Repeat("a=abort;", 10000)), "rules: more than the limit of 1000 rules"},
		{"json: 10000 rules", chaos.ParsePlanJSON, []byte(`{"rules":[` + strings.Repeat(`{"point":"a","fault":"abort"},`, 9999) + `{"point":"a","fault":"abort"}]}`),
			"rules: more than the limit of 1000 rules"},
		{"json: 1 MiB of [", chaos.ParsePlanJSON, []byte(strings.Repeat("[", chaos.MaxPlanSize)),
			"json: invalid character '[' exceeded max depth"},
		{"json: 5000 deep", chaos.ParsePlanJSON, []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)),
			"[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: json: nested more than 16 deep"},
		{"decode: spaces count", chaos.DecodePlan, []byte(big), "the plan is 1048583 bytes, more than the limit of 1048576"},
		{"decode: 10000 rules", chaos.DecodePlan, []byte(strings.Repeat("a=abort;", 10000)), "rules: more than the limit of 1000 rules"},
		{"decode: json over the limit", chaos.DecodePlan, []byte(`{"version":"` + strings.Repeat("v", chaos.MaxPlanSize) + `"}`),
			"the plan is 1048590 bytes, more than the limit of 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.parse(tt.in)
			var pe *chaos.PlanError
			if !errors.As(err, &pe) || !errors.Is(err, chaos.ErrInvalidPlan) || len(p.Rules) != 0 {
				t.Fatalf("parse = %d rules, %v; want a *PlanError", len(p.Rules), err)
			}
			if got := pe.Problems[0].String(); got != tt.want {
				t.Errorf("first problem %q, want %q", got, tt.want)
			}
			if len(pe.Problems) > 100 {
				t.Errorf("%d problems kept, want at most 100", len(pe.Problems))
			}
			if n := len(err.Error()); n > 4<<10 {
				t.Errorf("error text is %d bytes, want at most 4 KiB", n)
			}
		})
	}
}

func parseText(b []byte) (chaos.Plan, error) { return chaos.ParsePlan(string(b)) }
