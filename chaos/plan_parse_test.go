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

// TestParsePlan reads plans in both forms, and checks that each survives
// its text (String) and its JSON unchanged.
func TestParsePlan(t *testing.T) {
	until := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	tests := []struct {
		name string
		in   string
		want chaos.Plan
		text string // what String writes back; "" means in, for the text form
	}{
		// The text form.
		{"empty", "", chaos.Plan{}, ""},
		{"blank", "  \t ", chaos.Plan{}, ""},
		{"percent delay", "payments.charge=10%delay(200ms)",
			chaos.Plan{Rules: []chaos.Rule{{Point: "payments.charge", Fault: faults.Latency(200 * time.Millisecond), Rate: 0.1}}}, ""},
		{"count error", "db.query=3*error(timeout)",
			chaos.Plan{Rules: []chaos.Rule{{Point: "db.query", Fault: faults.Error("timeout"), Rate: 1, Times: 3}}}, ""},
		{"issue example", "payments.charge=10%delay(200ms);db.query=3*error(timeout)", chaos.Plan{Rules: []chaos.Rule{
			{Point: "payments.charge", Fault: faults.Latency(200 * time.Millisecond), Rate: 0.1},
			{Point: "db.query", Fault: faults.Error("timeout"), Rate: 1, Times: 3},
		}}, ""},
		{"percent and count", "a=25%4*panic(oops)",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Panic("oops"), Rate: 0.25, Times: 4}}}, ""},
		{"0.1%", "a=0.1%error", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.001}}}, ""},
		{"12.5%", "a=12.5%error", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.125}}}, ""},
		{"0.001%", "a=0.001%error", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.00001}}}, ""},
		{".5%", "a=.5%error", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.005}}}, "a=0.5%error"},
		{"5.%", "a=5.%error", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.05}}}, "a=5%error"},
		{"100%", "a=100%error", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1}}}, "a=error"},
		{"0%", "a=0%error", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0}}}, ""},
		{"033%", "a=033%error", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.33}}}, "a=33%error"},
		{"33.333%", "a=33.333%error", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.33333}}}, ""},
		{"quoted point", `"GET /users/{id}"=status(503)`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "GET /users/{id}", Fault: faults.HTTPStatus(503, ""), Rate: 1}}}, ""},
		{"quoted point with quote", `"say \"hi\""=abort`,
			chaos.Plan{Rules: []chaos.Rule{{Point: `say "hi"`, Fault: faults.Abort(), Rate: 1}}}, ""},
		{"bare point with balanced brackets", "f(x)=abort",
			chaos.Plan{Rules: []chaos.Rule{{Point: "f(x)", Fault: faults.Abort(), Rate: 1}}}, `"f(x)"=abort`},
		{"glob", "sql.*=badconn", chaos.Plan{Rules: []chaos.Rule{{Point: "sql.*", Fault: faults.BadConn(), Rate: 1}}}, ""},
		{"every option", "db.query=error[after=2,every=3,ttl=1m0s,until=2030-01-02T03:04:05.0000006Z,sticky=tenant,instances=50%,label.region=eu,label.tenant=acme]",
			chaos.Plan{Rules: []chaos.Rule{{Point: "db.query", Fault: faults.Error(""), Rate: 1, After: 2, Every: 3, TTL: time.Minute,
				Until: until, Sticky: "tenant", Instances: 0.5, Labels: map[string]string{"tenant": "acme", "region": "eu"}}}}, ""},
		{"options in any order", "a=error[label.b=2,ttl=90s,label.a=1,after=1]",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, After: 1, TTL: 90 * time.Second,
				Labels: map[string]string{"a": "1", "b": "2"}}}}, "a=error[after=1,ttl=1m30s,label.a=1,label.b=2]"},
		{"until with offset", "a=error[until=2030-01-02T04:04:05.0000006+01:00]",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Until: until}}}, "a=error[until=2030-01-02T03:04:05.0000006Z]"},
		{"odd labels", `a=error[label."odd key"="v,1",label.k=" padded "]`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Labels: map[string]string{"odd key": "v,1", "k": " padded "}}}},
			`a=error[label.k=" padded ",label.odd key="v,1"]`},
		{"label value with brackets", `a=error[label.route="/users/{id"]`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Labels: map[string]string{"route": "/users/{id"}}}}, ""},
		{"instances fraction", "a=error[instances=12.5%]",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Instances: 0.125}}}, ""},
		{"spaces everywhere", " a = 10 % 3 * error ( x ) [ after = 2 , label.t = v ] ; b = hang ; ",
			chaos.Plan{Rules: []chaos.Rule{
				{Point: "a", Fault: faults.Error("x"), Rate: 0.1, Times: 3, After: 2, Labels: map[string]string{"t": "v"}},
				{Point: "b", Fault: faults.Hang(), Rate: 1},
			}}, "a=10%3*error(x)[after=2,label.t=v];b=hang"},
		{"trailing semicolon", "a=abort;", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1}}}, "a=abort"},
		{"semicolon in a message", `a=error("x;y")`, chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error("x;y"), Rate: 1}}}, ""},
		{"bracket in a message", `a=error("[x]")[after=1]`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error("[x]"), Rate: 1, After: 1}}}, ""},
		{"zero options", "a=error[after=0,every=0,ttl=0s]",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1}}}, "a=error"},
		{"instances=0% is no instance", "a=error[instances=0%]",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Instances: -1}}}, ""},
		{"instances=0.00% is no instance", "a=error[instances=0.00%]",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Instances: -1}}}, "a=error[instances=0%]"},
		{"instances=100%", "a=error[instances=100%]",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Instances: 1}}}, ""},
		{"hang with a bound", "a=hang(30s);b=50%hang(1m30s)[instances=0%];c=hang",
			chaos.Plan{Rules: []chaos.Rule{
				{Point: "a", Fault: faults.HangFor(30 * time.Second), Rate: 1},
				{Point: "b", Fault: faults.HangFor(90 * time.Second), Rate: 0.5, Instances: -1},
				{Point: "c", Fault: faults.Hang(), Rate: 1},
			}}, ""},
		{"hang(0s) is plain hang", "a=hang(0s)", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Hang(), Rate: 1}}}, "a=hang"},
		{"status 200", "a=status(200)", chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.HTTPStatus(200, ""), Rate: 1}}}, ""},
		{"exactly MaxPlanRules", strings.Repeat("a=abort;", chaos.MaxPlanRules),
			chaos.Plan{Rules: slices.Repeat([]chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1}}, chaos.MaxPlanRules)},
			strings.TrimSuffix(strings.Repeat("a=abort;", chaos.MaxPlanRules), ";")},
		// The JSON form.
		{"empty object", `{}`, chaos.Plan{}, ""},
		{"no rules", `{"version":"v1","rules":[]}`, chaos.Plan{Version: "v1"}, ""},
		{"rate defaults to 1", `{"rules":[{"point":"a","fault":{"kind":"abort"}}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1}}}, ""},
		{"explicit rate 0", `{"rules":[{"point":"a","fault":{"kind":"abort"},"rate":0}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 0}}}, ""},
		{"fault as text", `{"rules":[{"point":"db.query","fault":"error(timeout)","rate":0.1,"times":3}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "db.query", Fault: faults.Error("timeout"), Rate: 0.1, Times: 3}}}, ""},
		{"every field", `{"version":"gameday-7","rules":[{"point":"GET /users/{id}","fault":{"kind":"latency","delay":"1s","jitter":"250ms"},
			"rate":0.05,"times":10,"after":2,"every":3,"ttl":"5m","until":"2030-01-02T04:04:05+01:00",
			"labels":{"tenant":"acme"},"sticky":"request","instances":0.5}]}`,
			chaos.Plan{Version: "gameday-7", Rules: []chaos.Rule{{Point: "GET /users/{id}",
				Fault: faults.LatencyJitter(time.Second, 250*time.Millisecond), Rate: 0.05, Times: 10, After: 2, Every: 3,
				TTL: 5 * time.Minute, Until: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
				Labels: map[string]string{"tenant": "acme"}, Sticky: "request", Instances: 0.5}}}, ""},
		{"surrounding space", " \n{\"rules\":[{\"point\":\"a\",\"fault\":\"hang\"}]}\n ",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Hang(), Rate: 1}}}, ""},
		{"tab before JSON", "\t{\"rules\":[{\"point\":\"a\",\"fault\":\"error\"}]}",
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1}}}, ""},
		{"hang with a bound", `{"rules":[{"point":"a","fault":{"kind":"hang","delay":"30s"}},{"point":"b","fault":"hang(1m)"}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.HangFor(30 * time.Second), Rate: 1},
				{Point: "b", Fault: faults.HangFor(time.Minute), Rate: 1}}}, ""},
		{"instances 0 is no instance", `{"rules":[{"point":"a","fault":"abort","instances":0}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: -1}}}, ""},
		{"instances -1 is no instance", `{"rules":[{"point":"a","fault":"abort","instances":-1}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: -1}}}, ""},
		{"instances left out is all", `{"rules":[{"point":"a","fault":"abort"}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1, Instances: 0}}}, ""},
		{"same key in different objects", `{"rules":[{"point":"a","fault":{"kind":"error","code":503},"labels":{"rate":"x","Rate":"y"}},{"point":"a","fault":"abort"}]}`,
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Fault: faults.Fault{Kind: faults.KindError, Code: 503}, Rate: 1, Labels: map[string]string{"rate": "x", "Rate": "y"}},
				{Point: "a", Fault: faults.Abort(), Rate: 1}}}, ""},
		{"exactly MaxPlanRules", `{"rules":[` + strings.Repeat(`{"point":"a","fault":"abort"},`, chaos.MaxPlanRules-1) + `{"point":"a","fault":"abort"}]}`,
			chaos.Plan{Rules: slices.Repeat([]chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1}}, chaos.MaxPlanRules)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chaos.ParsePlan(tt.in)
			if err != nil {
				t.Fatalf("ParsePlan(%q) = %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("ParsePlan(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			text := tt.text
			if text == "" && !strings.HasPrefix(strings.TrimSpace(tt.in), "{") {
				text = strings.TrimSpace(tt.in)
			}
			if s := got.String(); text != "" && s != text {
				t.Errorf("String() = %q, want %q", s, text)
			}
			unversioned := got
			unversioned.Version = "" // not part of the text form
			if back, err := chaos.ParsePlan(got.String()); err != nil || !back.Equal(unversioned) {
				t.Errorf("ParsePlan(String()) = %+v, %v; want %+v", back, err, unversioned)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := chaos.ParsePlan(string(b)); err != nil || !back.Equal(got) {
				t.Errorf("round trip through %s = %+v, %v", b, back, err)
			}
		})
	}
}

// TestParsePlanErrors lists the problems ParsePlan reports for plans in
// either form.
func TestParsePlanErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // Problem.String() of every problem, in order
	}{
		// The text form.
		{"rate out of range", "a=error;b=delay(1s);c=150%error",
			[]string{"rules[2].rate: 1.5 is outside [0,1]"}},
		{"several at once", "a=error[after=x];b=explode;c=150%error;=abort",
			[]string{
				`rules[0]: after: "x" is not a count`,
				`rules[1]: fault "explode": unknown fault "explode" (want delay, error, panic, hang, pause, squeeze, cancel, status, abort, badconn, corrupt or custom(NAME))`,
				"rules[2].rate: 1.5 is outside [0,1]",
				"rules[3].point: is empty",
			}},
		{"several in one rule", "a=error[after=-1,every=x,ttl=soon]",
			[]string{`rules[0]: after: "-1" is not a count, every: "x" is not a count, ttl: "soon" is not a duration`}},
		{"validation problems together", "a=101%error[instances=200%,label.=x]",
			[]string{"rules[0].rate: 1.01 is outside [0,1]", "rules[0].instances: 2 is outside [0,1]", "rules[0].labels: a label key is empty"}},
		{"no equals", "noequals", []string{`rules[0]: "noequals" has no =, as in point=error`}},
		{"unquoted space", "a b=error", []string{`rules[0]: point "a b" must be quoted`}},
		{"unquoted percent", "a%b=error", []string{`rules[0]: point "a%b" must be quoted`}},
		{"empty point", "=error", []string{"rules[0].point: is empty"}},
		{"empty quoted point", `""=error`, []string{"rules[0].point: is empty"}},
		{"control character", "\"a\\x01\"=error", []string{`rules[0].point: "a\x01" holds a control character`}},
		{"no equals after quoted point", `"a"error`, []string{`rules[0]: want = after the point "a"`}},
		{"unterminated quote", `"a=error`, []string{`rules[0]: unterminated quoted string at byte 0, near "\"a=error"`}},
		{"unbalanced bracket", "a=error[after=1", []string{`rules[0]: unbalanced brackets at byte 7, near "[after=1"`}},
		{"unbalanced paren", "a=error(x));b=abort", []string{`rules[0]: unbalanced ) at byte 10, near ");b=abort"`}},
		{"unbalanced in a later rule", "a=error;b=2*delay(1s;c=abort;d=abort;e=abort;f=abort",
			[]string{`rules[1]: unbalanced brackets at byte 17, near "(1s;c=abort;d=abort;e=ab"...`}},
		{"unbalanced after other problems", "a=150%error;b=error[after=1;c=abort",
			[]string{"rules[0].rate: 1.5 is outside [0,1]", `rules[1]: unbalanced brackets at byte 19, near "[after=1;c=abort"`}},
		{"closing bracket in a later rule", "a=error;b=abort];c=abort", []string{`rules[1]: unbalanced ] at byte 15, near "];c=abort"`}},
		{"status below 200", "a=status(100)",
			[]string{`rules[0]: fault "status(100)": code: 100 is not an HTTP status in [200,999]`}},
		{"error code below 200", "a=error(early,199)",
			[]string{`rules[0]: fault "error(early,199)": code: 199 is not an HTTP status in [200,999]`}},
		{"hang with a bad bound", "a=hang(-1s);b=hang(soon);c=hang()", []string{
			`rules[0]: fault "hang(-1s)": delay: -1s is negative`,
			`rules[1]: fault "hang(soon)": "soon" is not a duration`,
			`rules[2]: fault "hang()": hang takes a duration, as in hang(30s), or no parentheses`,
		}},
		{"too many bad options", "a=error[" + strings.Repeat("x,", 20) + "after=y]",
			[]string{`rules[0]: option "x" has no =, option "x" has no =, option "x" has no =, option "x" has no =, ` +
				`option "x" has no =, option "x" has no =, option "x" has no =, option "x" has no =, and 13 more`}},
		{"long values are cut", strings.Repeat("p", 100) + "=error[ttl=" + strings.Repeat("9", 100) + "]",
			[]string{`rules[0]: ttl: "` + strings.Repeat("9", 64) + `"... is not a duration`}},
		{"one more than MaxPlanRules", strings.Repeat("a=abort;", chaos.MaxPlanRules) + "a=abort",
			[]string{"rules: more than the limit of 1000 rules"}},
		{"empty rule", "a=error;;c=150%error", []string{"rules[1]: empty rule", "rules[2].rate: 1.5 is outside [0,1]"}},
		{"leading semicolon", ";a=error", []string{"rules[0]: empty rule"}},
		{"no fault", "a=10%", []string{`rules[0]: fault "": unknown fault "" (want delay, error, panic, hang, pause, squeeze, cancel, status, abort, badconn, corrupt or custom(NAME))`}},
		{"bad fault", "a=delay(-1s)", []string{`rules[0]: fault "delay(-1s)": delay: -1s is negative`}},
		{"count too large", "a=99999999999999999999*error", []string{`rules[0]: count "99999999999999999999" is too large`}},
		{"option without value", "a=error[after]", []string{`rules[0]: option "after" has no =`}},
		{"unknown option", "a=error[colour=red]", []string{`rules[0]: unknown option "colour" (want after, every, ttl, until, sticky, instances or label.KEY)`}},
		{"bad until", "a=error[until=tomorrow]", []string{`rules[0]: until: "tomorrow" is not an RFC 3339 time`}},
		{"until out of range", "a=error[until=0000-01-01T00:00:00+01:00]", []string{"rules[0].until: year -1 is outside [0,9999]"}},
		{"instances without percent", "a=error[instances=50]", []string{`rules[0]: instances: "50" is not a percentage`}},
		{"instances negative", "a=error[instances=-1%]", []string{`rules[0]: instances: "-1%" is not a percentage`}},
		{"text after options", "a=error[after=1]x", []string{"rules[0]: options: missing ]"}},
		{"bad escape", `a=error[sticky="x\q"]`, []string{`rules[0]: unterminated quoted string at byte 15, near "\"x\\q\"]"`}},
		{"stray quote in option", `a=error[sticky=x"y"]`, []string{`rules[0]: sticky: stray quote in "x\"y\""`}},
		// The JSON form.
		{"unknown plan field", `{"rules":[],"colour":"red"}`, []string{`json: unknown field "colour"`}},
		{"unknown rule field", `{"rules":[{"point":"a","fault":"abort","probability":1}]}`, []string{`json: unknown field "probability"`}},
		{"unknown fault field", `{"rules":[{"point":"a","fault":{"kind":"abort","why":1}}]}`, []string{`json: unknown field "why"`}},
		{"bad fault text", `{"rules":[{"point":"a","fault":"explode"}]}`,
			[]string{`json: fault "explode": unknown fault "explode" (want delay, error, panic, hang, pause, squeeze, cancel, status, abort, badconn, corrupt or custom(NAME))`}},
		{"bad ttl", `{"rules":[{"point":"a","fault":"abort","ttl":"soon"}]}`, []string{`json: ttl: "soon" is not a duration`}},
		{"data after", `{"rules":[]} {"rules":[]}`, []string{"json: data after the plan"}},
		{"rules not an array", `{"rules":{}}`, []string{"json: rules: want an array, not object"}},
		{"JSON not an object is text", `[]`, []string{`rules[0]: "[]" has no =, as in point=error`}},
		{"broken JSON", "\t{a=error", []string{"json: invalid character 'a' looking for beginning of object key string"}},
		{"rate as a string", `{"rules":[{"point":"a","fault":"abort","rate":"10%"}]}`, []string{"json: rules.rate: want a number, not string"}},
		{"code too large", `{"rules":[{"point":"a","fault":{"kind":"status","code":1e40}}]}`, []string{"json: rules.fault.code: want an integer, not number 1e40"}},
		{"truncated", `{"rules":[`, []string{"json: unexpected EOF"}},
		{"rate out of range", `{"rules":[{"point":"a","fault":"abort"},{"point":"b","fault":"abort"},{"point":"c","fault":"abort","rate":1.5}]}`,
			[]string{"rules[2].rate: 1.5 is outside [0,1]"}},
		{"several problems", `{"rules":[{"point":"","fault":{"kind":"latency"},"rate":-1,"times":-2}]}`,
			[]string{"rules[0].point: is empty", "rules[0].fault.delay: a latency fault needs a delay", "rules[0].rate: -1 is outside [0,1]", "rules[0].times: -2 is negative"}},
		{"duplicate rule key", `{"rules":[{"point":"a","fault":"abort"},{"point":"b","fault":"abort","rate":0.1,"rate":1}]}`,
			[]string{"rules[1].rate: duplicate key"}},
		{"keys that differ in case", `{"rules":[{"point":"a","fault":"abort","rate":0.1,"Rate":1}]}`,
			[]string{`rules[0]: keys "rate" and "Rate" differ only in case`}},
		{"null count", `{"rules":[{"point":"a","fault":"abort"},{"point":"b","fault":"abort"},{"point":"c","fault":"abort","times":null}]}`,
			[]string{"rules[2].times: null is not a number"}},
		{"every issue with its path", `{"version":"1","VERSION":"2","rules":[
			{"point":"a","fault":{"kind":"status","code":null,"code":503},"rate":null,"after":null,"every":null,"instances":null,"Point":"b"},
			{"point":"a","fault":"abort","labels":{"k":"1","k":"2","K":"3"},"labels":{}}],"rules":[]}`,
			[]string{`keys "version" and "VERSION" differ only in case`, "rules[0].fault.code: null is not a number",
				"rules[0].fault.code: duplicate key", "rules[0].rate: null is not a number", "rules[0].after: null is not a number",
				"rules[0].every: null is not a number", "rules[0].instances: null is not a number",
				`rules[0]: keys "point" and "Point" differ only in case`, `rules[1].labels["k"]: duplicate key`, "rules[1].labels: duplicate key", "rules: duplicate key"}},
		{"odd keys in paths", `{"rules":[{"point":"a","fault":"abort","labels":{"a b":"1","a b":"2"},"x.y":1,"x.y":2}]}`,
			[]string{`rules[0].labels["a b"]: duplicate key`, `rules[0]["x.y"]: duplicate key`}},
		{"problems in broken JSON", `{"rules":[{"point":"a","point":"b","fault":"abort"}`, []string{"json: unexpected EOF"}},
		{"escaped keys", `{"rules":[{"point":"a","fault":"abort","\u0072ate":0.5,"rate":1}]}`, []string{"rules[0].rate: duplicate key"}},
		{"status below 200", `{"rules":[{"point":"a","fault":{"kind":"status","code":100}}]}`,
			[]string{"rules[0].fault.code: 100 is not an HTTP status in [200,999]"}},
		{"instances out of range", `{"rules":[{"point":"a","fault":"abort","instances":-0.5}]}`,
			[]string{"rules[0].instances: -0.5 is outside [0,1] and is not -1 (no instance)"}},
		{"nested too deep", `{"rules":[{"point":"a","fault":"abort","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]}`,
			[]string{"rules[0].x[0][0][0][0][0][0][0][0][0][0][0][0][0]: json: nested more than 16 deep"}},
		{"long unknown key is cut", `{"rules":[{"point":"a","fault":"abort","` + strings.Repeat("k", 1000) + `":1}]}`,
			[]string{`json: unknown field "` + strings.Repeat("k", 256-len(`json: unknown field "`)) + "..."}},
		{"one more than MaxPlanRules", `{"rules":[` + strings.Repeat(`{"point":"a","fault":"abort"},`, chaos.MaxPlanRules) + `{"point":"a","fault":"abort"}]}`,
			[]string{"rules: more than the limit of 1000 rules"}},
		{"larger than MaxPlanSize", `{"version":"` + strings.Repeat("v", chaos.MaxPlanSize) + `"}`,
			[]string{"the plan is 1048590 bytes, more than the limit of 1048576"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := chaos.ParsePlan(tt.in)
			if len(p.Rules) != 0 {
				t.Errorf("ParsePlan returned rules with its error: %+v", p)
			}
			planError(t, err, chaos.ErrInvalidPlan)
			if got := problemStrings(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems of %q\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
			if want := "chaos: invalid plan: " + strings.Join(tt.want, "; "); err.Error() != want {
				t.Errorf("Error() = %q, want %q", err, want)
			}
		})
	}
}

// TestParsePlanLimits: ParsePlan refuses a document over MaxPlanSize and a
// plan of 10,000 rules, in either form, with an error that stays short.
func TestParsePlanLimits(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // the first problem
	}{
		{"text: 1 MiB of ;", strings.Repeat(";", chaos.MaxPlanSize), "rules: more than the limit of 1000 rules"},
		{"text: spaces count", strings.Repeat(" ", chaos.MaxPlanSize) + "a=abort", "the plan is 1048583 bytes, more than the limit of 1048576"},
		{"text: 10000 rules", strings.Repeat("a=abort;", 10000), "rules: more than the limit of 1000 rules"},
		{"json: 10000 rules", `{"rules":[` + strings.Repeat(`{"point":"a","fault":"abort"},`, 9999) + `{"point":"a","fault":"abort"}]}`,
			"rules: more than the limit of 1000 rules"},
		{"json: 1 MiB of [", `{"x":` + strings.Repeat("[", chaos.MaxPlanSize-5),
			"json: invalid character '[' exceeded max depth"},
		{"json: 5000 deep", `{"x":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`,
			"x[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: json: nested more than 16 deep"},
		{"json: over the limit", `{"version":"` + strings.Repeat("v", chaos.MaxPlanSize) + `"}`,
			"the plan is 1048590 bytes, more than the limit of 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := chaos.ParsePlan(tt.in)
			if len(p.Rules) != 0 {
				t.Errorf("ParsePlan returned %d rules with its error", len(p.Rules))
			}
			pe := planError(t, err, chaos.ErrInvalidPlan)
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

func TestMustParsePlan(t *testing.T) {
	for _, s := range []string{"a=abort", `{"rules":[{"point":"a","fault":"abort"}]}`} {
		if p := chaos.MustParsePlan(s); len(p.Rules) != 1 {
			t.Errorf("MustParsePlan(%q) = %+v", s, p)
		}
	}
	defer func() {
		if err, ok := recover().(error); !ok || !errors.Is(err, chaos.ErrInvalidPlan) {
			t.Errorf("MustParsePlan panicked with %v, want an ErrInvalidPlan error", err)
		}
	}()
	chaos.MustParsePlan("a=")
	t.Error("MustParsePlan of a bad plan returned")
}

// BenchmarkParsePlanLimits measures how fast ParsePlan refuses documents
// at and past the limits: each refusal stops early, so none of these
// should take more than a few milliseconds or allocate more than a few
// hundred kilobytes. The baselines parse a small valid plan.
func BenchmarkParsePlanLimits(b *testing.B) {
	jsonRules := func(n int) string {
		return `{"rules":[` + strings.Repeat(`{"point":"a","fault":"abort"},`, n-1) + `{"point":"a","fault":"abort"}]}`
	}
	benchmarks := []struct {
		name  string
		in    string
		valid bool
	}{
		{"baseline/text-10-rules", strings.Repeat("a=10%error(x)[after=1];", 10), true},
		{"baseline/json-10-rules", jsonRules(10), true},
		{"text/1MiB-of-semicolons", strings.Repeat(";", chaos.MaxPlanSize), false},
		{"text/10000-rules", strings.Repeat("a=abort;", 10000), false},
		{"text/over-MaxPlanSize", strings.Repeat("a=abort;", chaos.MaxPlanSize/8+1), false},
		{"text/1MiB-unbalanced", "a=error(" + strings.Repeat("x;", chaos.MaxPlanSize/2-8), false},
		{"json/10000-rules", jsonRules(10000), false},
		{"json/1MiB-of-brackets", `{"x":` + strings.Repeat("[", chaos.MaxPlanSize-5), false},
		{"json/1MiB-of-duplicates", `{"rules":[{"point":"a","fault":"abort"` +
			strings.Repeat(`,"times":1`, (chaos.MaxPlanSize-64)/10) + `}]}`, false},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.in)))
			for b.Loop() {
				if _, err := chaos.ParsePlan(bm.in); (err == nil) != bm.valid {
					b.Fatalf("ParsePlan: %v", err)
				}
			}
		})
	}
}
