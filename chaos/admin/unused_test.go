package admin

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// TestUnusedRules checks that api/status, api/stats and the page show the
// rules that named no evaluated point once the engine's unused-rule delay
// has passed, and only then: a minute of fake time in a synctest bubble.
func TestUnusedRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEngine(t, chaos.WithInstance("test-1"), chaos.WithUnusedRuleAfter(time.Minute))
		h := New(e, WithToken(testToken))
		defer h.Close()
		// Rule 1 has a typo, rule 2 names a point nothing calls (and would
		// break the page if its pattern were not escaped).
		if err := e.Apply(chaos.MustParsePlan(`db.query=error;db.qurey=error;"<b>x</b>"=delay(1s)`)); err != nil {
			t.Fatal(err)
		}
		fire(e, "db.query", 2)

		// check is not a subtest: t.Run may not be called in a bubble.
		check := func(step string, want []UnusedRule) {
			t.Helper()
			w := do(t, h, req{method: "GET", path: "api/status"})
			if !strings.Contains(w.Body.String(), `"unused_rules":[`) {
				t.Errorf("%s: api/status has no unused_rules list: %s", step, w.Body)
			}
			if got := decode[Status](t, w).UnusedRules; !slices.Equal(got, want) {
				t.Errorf("%s: api/status unused_rules = %+v, want %+v", step, got, want)
			}
			var fromStats []UnusedRule
			for _, r := range decode[statsView](t, do(t, h, req{method: "GET", path: "api/stats"})).Rules {
				if r.Unused {
					fromStats = append(fromStats, UnusedRule{r.Rule, r.Point})
				}
			}
			if !slices.Equal(fromStats, want) {
				t.Errorf("%s: api/stats marks %+v unused, want %+v", step, fromStats, want)
			}
			page := do(t, h, req{method: "GET", path: ""}).Body.String()
			if strings.Contains(page, "<b>") {
				t.Errorf("%s: page carries an unescaped rule pattern", step)
			}
			if got := strings.Count(page, `<tr class="unused">`); got != len(want) {
				t.Errorf("%s: page marks %d rows unused, want %d", step, got, len(want))
			}
			for _, r := range want {
				if !strings.Contains(page, `id="unused-`+itoa(int64(r.Rule))+`"`) {
					t.Errorf("%s: page does not mark rule %d unused", step, r.Rule)
				}
			}
			if got := strings.Contains(page, `id="unused"`); got != (len(want) > 0) {
				t.Errorf("%s: page has the unused-rules warning: %v, want %v", step, got, len(want) > 0)
			}
			if len(want) == 2 && !strings.Contains(page, "2 rules have named no point that was evaluated") {
				t.Errorf("%s: page warning does not count the unused rules", step)
			}
		}

		check("before the delay", []UnusedRule{})
		time.Sleep(time.Minute - time.Nanosecond) // fake time: returns at once
		check("just before the delay", []UnusedRule{})
		time.Sleep(time.Nanosecond)
		check("after the delay", []UnusedRule{{1, "db.qurey"}, {2, "<b>x</b>"}})

		// The point with the typo fixed is evaluated: only rule 2 is left.
		if err := e.Apply(chaos.MustParsePlan(`db.query=error;"<b>x</b>"=delay(1s)`)); err != nil {
			t.Fatal(err)
		}
		fire(e, "db.query", 1)
		check("new plan", []UnusedRule{})
		time.Sleep(time.Minute)
		check("new plan after the delay", []UnusedRule{{1, "<b>x</b>"}})

		// A rule evaluated late is no longer unused.
		fire(e, "<b>x</b>", 1)
		check("evaluated late", []UnusedRule{})

		// The kill switch leaves no active rule, so none is unused.
		e.Apply(chaos.MustParsePlan("nothing.here=error"))
		time.Sleep(time.Minute)
		e.Disable("test")
		check("kill switch", []UnusedRule{})
	})
}

// TestUnusedRulesOff checks that a negative WithUnusedRuleAfter leaves
// every rule unmarked.
func TestUnusedRulesOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEngine(t, chaos.WithUnusedRuleAfter(-1))
		h := New(e, WithToken(testToken))
		defer h.Close()
		if err := e.Apply(chaos.MustParsePlan("db.qurey=error")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		if got := decode[Status](t, do(t, h, req{method: "GET", path: "api/status"})).UnusedRules; len(got) != 0 {
			t.Errorf("unused_rules = %+v with the report off, want none", got)
		}
	})
}
