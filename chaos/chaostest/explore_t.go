package chaostest

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

var planFlag = flag.String("faultline.plan", "", "run each chaostest.Explore body once under this plan instead of searching")

// Explore searches for a plan of faults under which body fails (see
// [Search]) and fails t with the smallest one, in the text form, with the
// seed and the commands that replay it:
//
//	faultline: the body fails under plan ledger.commit=1*error (shrunk from 3 rules; run 7 of at most 100, 12 shrink runs, 35ms)
//	    error: transfer left a transaction open
//	    seed:  1234
//	    replay the search:  go test -run '^TestLedger$' -faultline.seed=1234
//	    run only this plan: go test -run '^TestLedger$' -faultline.plan='ledger.commit=1*error'
//
// The seed is [ExploreSeed] if given, else [Seed] of t, so a test
// explores the same plans every run and -faultline.seed replays another
// run's search. With -faultline.plan set, Explore does not search: it runs
// body once under that plan, on an engine with the same seed, and fails t
// if it fails. Explore fails t at once if the search cannot run (see
// [ErrCleanRunFailed] and [ErrNoPoints]), and logs what it tried when
// nothing failed. It returns the finding, for a test that asserts on it.
//
// Explore runs in a testing/synctest bubble as outside one; inside, the
// time budget ([ExploreBudget]) is counted on the bubble's fake clock.
func Explore(t testing.TB, body Body, opts ...ExploreOption) *Finding {
	t.Helper()
	opts = append([]ExploreOption{ExploreSeed(Seed(t))}, opts...)
	if *planFlag != "" {
		return explorePlan(t, body, *planFlag, opts)
	}
	f, err := Search(t.Context(), body, opts...)
	if err != nil {
		t.Fatalf("faultline: explore: %v", err)
	}
	if !f.Failed() {
		t.Logf("faultline: explore: no failure in %d plans over %d points %q (seed %d, %v)", f.Runs, len(f.Points), f.Points, f.Seed, f.Elapsed)
		return f
	}
	t.Errorf("%s", f.Report(t.Name()))
	return f
}

// Report describes the finding as [Explore] prints it, with replay
// commands for the test called name.
func (f *Finding) Report(name string) string {
	if !f.Failed() {
		return fmt.Sprintf("faultline: no failure in %d plans (seed %d)", f.Runs, f.Seed)
	}
	var b strings.Builder
	shrunk := "not shrunk further"
	if !f.Found.Equal(f.Plan) {
		shrunk = fmt.Sprintf("shrunk from %d rules", len(f.Found.Rules))
		if len(f.Found.Rules) == len(f.Plan.Rules) {
			shrunk = "shrunk from " + f.Found.String()
		}
	}
	if f.Partial {
		shrunk += ", shrinking cut short by a bound"
	}
	run := runPattern(name)
	fmt.Fprintf(&b, "faultline: the body fails under plan %s (%s; run %d, %d shrink runs, %v)\n", f.Plan, shrunk, f.Runs, f.Shrinks, f.Elapsed)
	fmt.Fprintf(&b, "    error: %v\n", f.Err)
	fmt.Fprintf(&b, "    seed:  %d\n", f.Seed)
	fmt.Fprintf(&b, "    replay the search:  go test -run %s -faultline.seed=%d\n", run, f.Seed)
	fmt.Fprintf(&b, "    run only this plan: go test -run %s -faultline.plan=%s", run, shellQuote(f.Plan.String()))
	return b.String()
}

// explorePlan runs body once under the plan text.
func explorePlan(t testing.TB, body Body, text string, opts []ExploreOption) *Finding {
	t.Helper()
	p, err := chaos.ParsePlan(text)
	if err != nil {
		t.Fatalf("faultline: -faultline.plan: %v", err)
	}
	c := newExploreConfig(opts)
	s := &searcher{ctx: t.Context(), body: body, c: &c, results: map[string]result{}}
	r, err := s.run(p)
	if err != nil {
		t.Fatalf("faultline: %v", err)
	}
	f := &Finding{Seed: c.seed, Runs: 1}
	if r.err != nil {
		f.Plan, f.Found, f.Err = p, p, r.err
		t.Errorf("faultline: the body fails under plan %s (seed %d): %v", p, c.seed, r.err)
	}
	return f
}

// runPattern is a -run pattern, shell-quoted, that selects only the test
// called name.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return shellQuote(strings.Join(parts, "/"))
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
