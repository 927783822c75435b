package chaos_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

func TestParsePlan(t *testing.T) {
	until := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	tests := []struct {
		name string
		in   string
		want []chaos.Rule
		text string // what String writes back; "" means in
	}{
		{"empty", "", nil, ""},
		{"blank", "  \t ", nil, ""},
		{"percent delay", "payments.charge=10%delay(200ms)",
			[]chaos.Rule{{Point: "payments.charge", Fault: faults.Latency(200 * time.Millisecond), Rate: 0.1}}, ""},
		{"count error", "db.query=3*error(timeout)",
			[]chaos.Rule{{Point: "db.query", Fault: faults.Error("timeout"), Rate: 1, Times: 3}}, ""},
		{"issue example", "payments.charge=10%delay(200ms);db.query=3*error(timeout)", []chaos.Rule{
			{Point: "payments.charge", Fault: faults.Latency(200 * time.Millisecond), Rate: 0.1},
			{Point: "db.query", Fault: faults.Error("timeout"), Rate: 1, Times: 3},
		}, ""},
		{"percent and count", "a=25%4*panic(oops)",
			[]chaos.Rule{{Point: "a", Fault: faults.Panic("oops"), Rate: 0.25, Times: 4}}, ""},
		{"0.1%", "a=0.1%error", []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.001}}, ""},
		{"12.5%", "a=12.5%error", []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.125}}, ""},
		{"0.001%", "a=0.001%error", []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.00001}}, ""},
		{".5%", "a=.5%error", []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.005}}, "a=0.5%error"},
		{"5.%", "a=5.%error", []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.05}}, "a=5%error"},
		{"100%", "a=100%error", []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1}}, "a=error"},
		{"0%", "a=0%error", []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0}}, ""},
		{"033%", "a=033%error", []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.33}}, "a=33%error"},
		{"33.333%", "a=33.333%error", []chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 0.33333}}, ""},
		{"quoted point", `"GET /users/{id}"=status(503)`,
			[]chaos.Rule{{Point: "GET /users/{id}", Fault: faults.HTTPStatus(503, ""), Rate: 1}}, ""},
		{"quoted point with quote", `"say \"hi\""=abort`,
			[]chaos.Rule{{Point: `say "hi"`, Fault: faults.Abort(), Rate: 1}}, ""},
		{"bare point with balanced brackets", "f(x)=abort",
			[]chaos.Rule{{Point: "f(x)", Fault: faults.Abort(), Rate: 1}}, `"f(x)"=abort`},
		{"glob", "sql.*=badconn", []chaos.Rule{{Point: "sql.*", Fault: faults.BadConn(), Rate: 1}}, ""},
		{"every option", "db.query=error[after=2,every=3,ttl=1m0s,until=2030-01-02T03:04:05.0000006Z,sticky=tenant,instances=50%,label.region=eu,label.tenant=acme]",
			[]chaos.Rule{{Point: "db.query", Fault: faults.Error(""), Rate: 1, After: 2, Every: 3, TTL: time.Minute,
				Until: until, Sticky: "tenant", Instances: 0.5, Labels: map[string]string{"tenant": "acme", "region": "eu"}}}, ""},
		{"options in any order", "a=error[label.b=2,ttl=90s,label.a=1,after=1]",
			[]chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, After: 1, TTL: 90 * time.Second,
				Labels: map[string]string{"a": "1", "b": "2"}}}, "a=error[after=1,ttl=1m30s,label.a=1,label.b=2]"},
		{"until with offset", "a=error[until=2030-01-02T04:04:05.0000006+01:00]",
			[]chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Until: until}}, "a=error[until=2030-01-02T03:04:05.0000006Z]"},
		{"odd labels", `a=error[label."odd key"="v,1",label.k=" padded "]`,
			[]chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Labels: map[string]string{"odd key": "v,1", "k": " padded "}}},
			`a=error[label.k=" padded ",label.odd key="v,1"]`},
		{"label value with brackets", `a=error[label.route="/users/{id"]`,
			[]chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Labels: map[string]string{"route": "/users/{id"}}}, ""},
		{"instances fraction", "a=error[instances=12.5%]",
			[]chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Instances: 0.125}}, ""},
		{"spaces everywhere", " a = 10 % 3 * error ( x ) [ after = 2 , label.t = v ] ; b = hang ; ",
			[]chaos.Rule{
				{Point: "a", Fault: faults.Error("x"), Rate: 0.1, Times: 3, After: 2, Labels: map[string]string{"t": "v"}},
				{Point: "b", Fault: faults.Hang(), Rate: 1},
			}, "a=10%3*error(x)[after=2,label.t=v];b=hang"},
		{"trailing semicolon", "a=abort;", []chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1}}, "a=abort"},
		{"semicolon in a message", `a=error("x;y")`, []chaos.Rule{{Point: "a", Fault: faults.Error("x;y"), Rate: 1}}, ""},
		{"bracket in a message", `a=error("[x]")[after=1]`,
			[]chaos.Rule{{Point: "a", Fault: faults.Error("[x]"), Rate: 1, After: 1}}, ""},
		{"zero options", "a=error[after=0,every=0,ttl=0s]",
			[]chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1}}, "a=error"},
		{"instances=0% is no instance", "a=error[instances=0%]",
			[]chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Instances: -1}}, ""},
		{"instances=0.00% is no instance", "a=error[instances=0.00%]",
			[]chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Instances: -1}}, "a=error[instances=0%]"},
		{"instances=100%", "a=error[instances=100%]",
			[]chaos.Rule{{Point: "a", Fault: faults.Error(""), Rate: 1, Instances: 1}}, ""},
		{"hang with a bound", "a=hang(30s);b=50%hang(1m30s)[instances=0%];c=hang",
			[]chaos.Rule{
				{Point: "a", Fault: faults.HangFor(30 * time.Second), Rate: 1},
				{Point: "b", Fault: faults.HangFor(90 * time.Second), Rate: 0.5, Instances: -1},
				{Point: "c", Fault: faults.Hang(), Rate: 1},
			}, ""},
		{"hang(0s) is plain hang", "a=hang(0s)", []chaos.Rule{{Point: "a", Fault: faults.Hang(), Rate: 1}}, "a=hang"},
		{"status 200", "a=status(200)", []chaos.Rule{{Point: "a", Fault: faults.HTTPStatus(200, ""), Rate: 1}}, ""},
		{"exactly MaxPlanRules", strings.Repeat("a=abort;", chaos.MaxPlanRules),
			slices.Repeat([]chaos.Rule{{Point: "a", Fault: faults.Abort(), Rate: 1}}, chaos.MaxPlanRules),
			strings.TrimSuffix(strings.Repeat("a=abort;", chaos.MaxPlanRules), ";")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chaos.ParsePlan(tt.in)
			if err != nil {
				t.Fatalf("ParsePlan(%q) = %v", tt.in, err)
			}
			want := chaos.Plan{Rules: tt.want}
			if !got.Equal(want) {
				t.Fatalf("ParsePlan(%q)\n got %+v\nwant %+v", tt.in, got, want)
			}
			text := tt.text
			if text == "" {
				text = strings.TrimSpace(tt.in)
			}
			if s := got.String(); s != text {
				t.Errorf("String() = %q, want %q", s, text)
			}
			back, err := chaos.ParsePlan(got.String())
			if err != nil || !back.Equal(got) {
				t.Errorf("ParsePlan(String()) = %+v, %v; want %+v", back, err, got)
			}
			if _, err := chaos.DecodePlan([]byte(tt.in)); err != nil {
				t.Errorf("DecodePlan(%q) = %v", tt.in, err)
			}
		})
	}
}

func TestParsePlanErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // Problem.String() of every problem, in order
	}{
		{"rate out of range", "a=error;b=delay(1s);c=150%error",
			[]string{"rules[2].rate: 1.5 is outside [0,1]"}},
		{"several at once", "a=error[after=x];b=explode;c=150%error;=abort",
			[]string{
				`rules[0]: after: "x" is not a count`,
				`rules[1]: fault "explode": unknown fault "explode" (want delay, error, panic, hang, status, abort, badconn or corrupt)`,
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
		{"no fault", "a=10%", []string{`rules[0]: fault "": unknown fault "" (want delay, error, panic, hang, status, abort, badconn or corrupt)`}},
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := chaos.ParsePlan(tt.in)
			if err == nil {
				t.Fatalf("ParsePlan(%q) = %+v, want an error", tt.in, p)
			}
			if !errors.Is(err, chaos.ErrInvalidPlan) || errors.Is(err, chaos.ErrRefused) {
				t.Errorf("error %v does not match ErrInvalidPlan alone", err)
			}
			var pe *chaos.PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *PlanError", err)
			}
			var got []string
			for _, pr := range pe.Problems {
				got = append(got, pr.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems of %q\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
			if want := "chaos: invalid plan: " + strings.Join(tt.want, "; "); err.Error() != want {
				t.Errorf("Error() = %q, want %q", err, want)
			}
			if len(p.Rules) != 0 {
				t.Errorf("ParsePlan returned rules with its error: %+v", p)
			}
		})
	}
}

func TestMustParsePlan(t *testing.T) {
	if p := chaos.MustParsePlan("a=abort"); len(p.Rules) != 1 {
		t.Errorf("MustParsePlan = %+v", p)
	}
	defer func() {
		if err, ok := recover().(error); !ok || !errors.Is(err, chaos.ErrInvalidPlan) {
			t.Errorf("MustParsePlan panicked with %v, want an ErrInvalidPlan error", err)
		}
	}()
	chaos.MustParsePlan("a=")
	t.Error("MustParsePlan of a bad plan returned")
}

// TestRuleStringRoundTrip pins the text of rules built in Go, including
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
