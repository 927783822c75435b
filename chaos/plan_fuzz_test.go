package chaos_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

// planSeeds are realistic plans in the text form, good and bad.
var planSeeds = []string{
	"payments.charge=10%delay(200ms);db.query=3*error(timeout)",
	`"GET /users/{id}"=5%status(503,"try later")[label.tenant=acme]`,
	"sql.*=1%badconn[after=10,every=3];http.client.*=0.1%abort",
	"db.query=error(timeout)[sticky=tenant,ttl=5m,instances=25%]",
	"cache.get=delay(50ms,25ms)[until=2030-01-02T03:04:05Z]",
	"worker=panic(oops);queue=hang;blob=corrupt",
	`a=error("x;y",503)[label."odd key"="v,1"]`,
	"a=150%error", "a=error[after=x]", "=abort", `"a=error`, "a=error[", ";;", "",
	"a=hang(30s)[instances=0%];b=hang;c=hang(0s)", "a=error[instances=0.0%]", "a=hang()", "a=hang(-1s)",
	"a=status(100)", "a=error(x,199)", "a=error;b=delay(1s;c=abort", "a=error;b=abort];c=abort",
	"a=pause;b=pause(30s);c=squeeze(10ms);d=cancel;e=squeeze(0s)", "a=custom(chaostest.fake);b=chaostest.closeconn",
	"a=delay(normal(200ms,50ms));b=delay(lognormal(100ms,0.5,2s));c=delay(pareto(50ms,1.5))",
	"a=10%delay(100ms)@3|error@1|abort[after=2]", "a=error@3", "a=error|", "a=error@x|abort", "a=error@-1|abort@-2",
	"a=delay(pareto(50ms,0))", "a=delay(normal(1s,1s),1s)", "a=delay(gamma(1s,2))", "a=custom(nope)", "a=squeeze",
}

// jsonPlanSeeds are plans in the JSON form, good and bad, beyond the JSON
// of the good planSeeds.
var jsonPlanSeeds = []string{
	`{"version":"gameday-7","rules":[{"point":"db.query","fault":"error(timeout)","rate":0.1,"times":3}]}`,
	`{"rules":[{"point":"a","fault":{"kind":"latency","delay":"1s","jitter":"250ms"},"ttl":"5m","until":"2030-01-02T04:04:05+01:00"}]}`,
	`{"rules":[{"point":"a","fault":"abort","rate":-0}]}`,
	`{"rules":[{"point":"a","fault":"abort","rate":1e-320,"instances":5e-324}]}`,
	`{"rules":[{"point":"a","fault":"abort","colour":"red"}]}`,
	`{"rules":[{"point":"a","fault":"abort"}]} trailing`,
	`{"rules":[{"point":"a","fault":"abort","until":"0000-01-01T00:00:00+01:00"}]}`,
	`[]`, `{`, `null`, ` {}`,
	`{"rules":[{"point":"a","fault":{"kind":"hang","delay":"30s"},"instances":0}]}`,
	`{"rules":[{"point":"a","fault":"abort","rate":0.1,"rate":1}]}`,
	`{"rules":[{"point":"a","fault":"abort","rate":0.1,"Rate":1}]}`,
	`{"rules":[{"point":"a","fault":"abort","times":null}]}`,
	`{"rules":[{"point":"a","fault":{"kind":"status","code":null}}]}`,
	`{"rules":[{"point":"a","fault":"abort","labels":{"k":"1","k":"2","K":"3"}}]}`,
	`{"rules":[{"point":"a","fault":"abort","x":[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]}]}`,
	`{"rules":[{"point":"a","point":"b"}`,
	`{"rules":[{"point":"a","choices":[{"weight":3,"fault":"delay(100ms)"},{"fault":{"kind":"latency","delay":"1s","dist":"pareto","shape":1.5,"max":"5s"}}]}]}`,
	`{"rules":[{"point":"a","choices":[{"weight":null,"fault":"abort"},{"fault":"error","Fault":"abort"}]}]}`,
	`{"rules":[{"point":"a","fault":"abort","choices":[{"fault":"error"},{"fault":"abort"}]}]}`,
	`{"rules":[{"point":"a","fault":{"kind":"custom","name":"chaostest.fake"}}]}`,
}

// FuzzParsePlan checks that ParsePlan never panics, in either form,
// reports every failure as an ErrInvalidPlan with no rules, and that a
// plan it accepts is valid and survives String and JSON unchanged.
func FuzzParsePlan(f *testing.F) {
	for _, s := range planSeeds {
		f.Add(s)
		if p, err := chaos.ParsePlan(s); err == nil {
			p.Version = "v1"
			b, _ := json.Marshal(p)
			f.Add(string(b))
		}
	}
	for _, s := range jsonPlanSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := chaos.ParsePlan(s)
		if err != nil {
			if !errors.Is(err, chaos.ErrInvalidPlan) || len(p.Rules) != 0 {
				t.Fatalf("ParsePlan(%q) = %+v, %v", s, p, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePlan(%q) accepted an invalid plan: %v", s, err)
		}
		unversioned := p
		unversioned.Version = "" // not part of the text form
		text := p.String()
		q, err := chaos.ParsePlan(text)
		if err != nil || !q.Equal(unversioned) {
			t.Fatalf("ParsePlan(%q) = %+v\nits text %q reparses to %+v, %v", s, p, text, q, err)
		}
		if again := q.String(); again != text {
			t.Fatalf("text not stable: %q then %q", text, again)
		}
		if !validUTF8(p) {
			return // JSON strings cannot carry invalid UTF-8
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", p, err)
		}
		if j, err := chaos.ParsePlan(string(b)); err != nil || !j.Equal(p) {
			t.Fatalf("ParsePlan(%q) = %+v\nits JSON %s reparses to %+v, %v", s, p, b, j, err)
		}
	})
}
