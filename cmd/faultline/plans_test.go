package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestValidate(t *testing.T) {
	jsonPlan := writeFile(t, "plan.json", `{"version":"v2","rules":[{"point":"db.query","fault":{"kind":"latency","delay":"300ms"},"rate":0.5}]}`)
	badJSON := writeFile(t, "bad.json", `{"rules":[{"point":"a","fault":"error","rate":1.5},{"point":"","fault":"error","times":-1}]}`)
	strict := writeFile(t, "strict.json", `{"kinds":["latency"],"max_rate":0.1,"max_latency":"200ms"}`)
	clamp := writeFile(t, "clamp.json", `{"max_rate":0.1,"max_latency":200000000,"clamp":true}`)
	unknownField := writeFile(t, "unknown.json", `{"max_rate":0.1,"max_ratee":0.2}`)
	badPolicy := writeFile(t, "badpolicy.json", `{"max_rate":1.5}`)
	trailing := writeFile(t, "trailing.json", `{"max_rate":0.1} {}`)
	badDuration := writeFile(t, "baddur.json", `{"max_latency":"soon"}`)
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  int
		// wantLines are the lines printed, in order.
		wantLines []string
	}{
		{name: "text", args: []string{"db.query=10%delay(200ms);pay.*=3*error(timeout)"}, want: exitOK, wantLines: []string{"plan: valid, 2 rules"}},
		{name: "json file", args: []string{jsonPlan}, want: exitOK, wantLines: []string{jsonPlan + ": valid, 1 rule"}},
		{name: "empty plan", args: []string{""}, want: exitOK, wantLines: []string{"plan: valid, 0 rules"}},
		{name: "stdin", args: []string{"-"}, stdin: "a=error\n", want: exitOK, wantLines: []string{"stdin: valid, 1 rule"}},
		{name: "every problem with its place", args: []string{badJSON}, want: exitInvalid, wantLines: []string{
			badJSON + ": rules[0].rate: 1.5 is outside [0,1]",
			badJSON + ": rules[1].point: is empty",
			badJSON + ": rules[1].times: -1 is negative",
		}},
		{name: "text grammar", args: []string{"a=error;b=explode;c=5%%error"}, want: exitInvalid},
		{name: "a file name with a typo", args: []string{"plans/checkout.jsn"}, want: exitInvalid, wantLines: []string{"plans/checkout.jsn: no such file, and not a plan either (a rule reads POINT=FAULT)"}},
		{name: "policy allows", args: []string{"-policy", strict, "db.query=5%delay(100ms)"}, want: exitOK, wantLines: []string{"plan: valid, 1 rule, allowed by " + strict}},
		{name: "flags after the plan", args: []string{"db.query=5%delay(100ms)", "-policy", strict}, want: exitOK, wantLines: []string{"plan: valid, 1 rule, allowed by " + strict}},
		{name: "policy refuses", args: []string{"-policy", strict, jsonPlan}, want: exitInvalid, wantLines: []string{
			jsonPlan + ": rules[0].rate: 0.5 exceeds the policy's max rate 0.1",
			jsonPlan + ": rules[0].fault.delay: 300ms exceeds the policy's max latency 200ms",
		}},
		{name: "policy refuses a kind", args: []string{"-policy", strict, "a=1%error"}, want: exitInvalid},
		{name: "policy clamps", args: []string{"-policy", clamp, jsonPlan}, want: exitOK, wantLines: []string{
			jsonPlan + ": warning: rules[0].rate: 0.5 clamped to 0.1",
			jsonPlan + ": warning: rules[0].fault.delay: 300ms clamped to 200ms",
			jsonPlan + ": valid, 1 rule, allowed by " + clamp + " once clamped",
		}},
		{name: "policy with an unknown field", args: []string{"-policy", unknownField, "a=error"}, want: exitInvalid, wantLines: []string{"policy " + unknownField + `: json: unknown field "max_ratee"`}},
		{name: "policy out of range", args: []string{"-policy", badPolicy, "a=error"}, want: exitInvalid},
		{name: "policy with data after it", args: []string{"-policy", trailing, "a=error"}, want: exitInvalid, wantLines: []string{"policy " + trailing + ": invalid character '{' after top-level value"}},
		{name: "policy with a bad duration", args: []string{"-policy", badDuration, "a=error"}, want: exitInvalid, wantLines: []string{"policy " + badDuration + `: max_latency: "soon" is not a duration, as in "2s"`}},
		{name: "missing policy", args: []string{"-policy", "/nonexistent/policy.json", "a=error"}, want: exitInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runCLI(t, nil, tt.stdin, append([]string{"validate"}, tt.args...)...)
			if o.code != tt.want {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", o.code, tt.want, o.stdout, o.stderr)
			}
			if tt.wantLines == nil {
				if o.code != exitOK && o.stdout == "" {
					t.Error("no problem printed")
				}
				return
			}
			if diff := cmp.Diff(tt.wantLines, strings.Split(strings.TrimSuffix(o.stdout, "\n"), "\n")); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	o := runCLI(t, nil, "", "validate", "-json", "a=error;b=1.5*error")
	var v validation
	if err := json.Unmarshal([]byte(o.stdout), &v); err != nil {
		t.Fatalf("%v: %s", err, o.stdout)
	}
	if o.code != exitInvalid || v.Valid || len(v.Problems) != 1 || v.Problems[0].Path != "rules[1]" {
		t.Errorf("exit %d, %+v; want invalid with a problem at rules[1]", o.code, v)
	}
	o = runCLI(t, nil, "", "validate", "-json", "a=10%error")
	v = validation{}
	if err := json.Unmarshal([]byte(o.stdout), &v); err != nil || o.code != exitOK || !v.Valid || v.Rules != 1 || v.Plan != "a=10%error" || v.Problems == nil {
		t.Errorf("exit %d, %+v (%v); want valid with 1 rule and no problems", o.code, v, err)
	}
}

func TestFmtAndJSON(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr string
		code    int
	}{
		{name: "fmt text", args: []string{"fmt", "db.query = 10% delay(200ms) ; pay.* = 3*error(timeout)"}, want: "db.query=10%delay(200ms);pay.*=3*error(timeout)\n"},
		{name: "fmt json drops the version", args: []string{"fmt", `{"version":"v3","rules":[{"point":"a","fault":"abort"}]}`}, want: "a=abort\n", wantErr: `"v3" is dropped`},
		{name: "fmt invalid", args: []string{"fmt", "a=explode"}, code: exitInvalid, wantErr: "plan: rules[0]: "},
		{name: "json", args: []string{"json", "-version", "v7", "a=50%abort"}, want: "{\n  \"version\": \"v7\",\n  \"rules\": [\n    {\n      \"point\": \"a\",\n      \"fault\": {\n        \"kind\": \"abort\"\n      },\n      \"rate\": 0.5\n    }\n  ]\n}\n"},
		{name: "json invalid", args: []string{"json", "a=1.5*error"}, code: exitInvalid, wantErr: "rules[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runCLI(t, nil, "", tt.args...)
			if o.code != tt.code || o.stdout != tt.want || !strings.Contains(o.stderr, tt.wantErr) {
				t.Errorf("exit %d (want %d)\nstdout %q\nwant   %q\nstderr %q (want %q)", o.code, tt.code, o.stdout, tt.want, o.stderr, tt.wantErr)
			}
		})
	}
}

// TestFmtJSONRoundTrip checks, over generated plans, that fmt and json
// round-trip: fmt(json(x)) == fmt(x), json(fmt(json(x))) == json(x)
// (but for the version, which the text form drops), and that both read
// back as the plan.
func TestFmtJSONRoundTrip(t *testing.T) {
	gen := chaostest.Plans([]string{"db.query", "GET /users/{id}", "pay.*", `odd "point";`},
		chaostest.ExploreFaults(faults.Error("boom"), faults.LatencyJitter(time.Second, 20*time.Millisecond), faults.Abort(), faults.HTTPStatus(503, "")),
		chaostest.ExploreRules(5))
	rapid.Check(t, func(rt *rapid.T) {
		p := gen.Draw(rt, "plan")
		text := run1(rt, "fmt", p.String())
		asJSON := run1(rt, "json", p.String())
		if got := run1(rt, "fmt", asJSON); got != text {
			rt.Fatalf("fmt(json(x)) = %q, fmt(x) = %q", got, text)
		}
		if got := run1(rt, "json", strings.TrimSpace(text)); got != asJSON {
			rt.Fatalf("json(fmt(x)) = %s, json(x) = %s", got, asJSON)
		}
		back, err := chaos.ParsePlan(asJSON)
		if err != nil || !back.Equal(p) {
			rt.Fatalf("json reads back as %v (%v), want %v", back, err, p)
		}
	})
}

// run1 runs the command, which must succeed, and returns its output.
func run1(rt *rapid.T, args ...string) string {
	var so, se strings.Builder
	c := &cli{stdin: strings.NewReader(""), stdout: &so, stderr: &se, getenv: func(string) string { return "" }}
	if code := c.run(args); code != exitOK {
		rt.Fatalf("faultline %q: exit %d: %s", args, code, se.String())
	}
	return so.String()
}

func TestExplain(t *testing.T) {
	svc := newService(t, "x-1")
	for _, n := range []string{"db.query", "db.exec", "GET /users/{id}", "pay.charge"} {
		svc.e.Point(n)
	}
	dump := writeFile(t, "stats.json", func() string {
		b, _ := json.Marshal(svc.e.Stats())
		return string(b)
	}())
	list := writeFile(t, "points.txt", "# the points of svc\ndb.query\n\ndb.exec\nGET /users/{id}\npay.charge\n")
	const plan = `db.*=10%error;"GET /users/*"=abort;pay.chrage=error`
	want := `rules[0] db.*=10%error
    db.exec
    db.query
rules[1] "GET /users/*"=abort
    GET /users/{id}
rules[2] pay.chrage=error
    (no known point)

4 known points; 1 of 3 rules hit none: rules[2] ("pay.chrage")
`
	for _, tt := range []struct {
		name, points string
		env          map[string]string
		code         int
		want         string
		wantErr      string
	}{
		{name: "stats dump", points: dump, code: exitInvalid, want: want},
		{name: "list of names", points: list, code: exitInvalid, want: want},
		{name: "live admin handler", points: svc.url, env: tokenEnvOf, code: exitInvalid, want: want},
		{name: "live admin handler without a token", points: svc.url, code: exitUsage, wantErr: "no token"},
		{name: "live admin handler with a wrong token", points: svc.url, env: map[string]string{tokenEnv: "nope"}, code: exitTargets, wantErr: "401"},
		{name: "missing file", points: "/nonexistent/points.txt", code: exitInvalid, wantErr: "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := runCLI(t, tt.env, "", "explain", "-points", tt.points, plan)
			if o.code != tt.code || o.stdout != tt.want || !strings.Contains(o.stderr, tt.wantErr) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nwant:\n%s\nstderr %q (want %q)", o.code, tt.code, o.stdout, tt.want, o.stderr, tt.wantErr)
			}
		})
	}
	t.Run("every rule hits", func(t *testing.T) {
		o := runCLI(t, nil, "", "explain", "-json", "-points", list, "db.query=error;*=1%abort")
		var x explanation
		if err := json.Unmarshal([]byte(o.stdout), &x); err != nil || o.code != exitOK {
			t.Fatalf("exit %d, %v: %s", o.code, err, o.stdout)
		}
		if len(x.Unmatched) != 0 || x.Points != 4 || len(x.Rules) != 2 || len(x.Rules[1].Hits) != 4 || x.Rules[0].Hits[0] != "db.query" {
			t.Errorf("explanation %+v", x)
		}
	})
}
