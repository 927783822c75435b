package chaostest_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
)

// calls runs n calls at point name and returns which failed, by index.
func calls(ctx context.Context, e *chaos.Engine, name string, n int) []int {
	var failed []int
	p := e.Point(name)
	for i := range n {
		if p.Inject(ctx) != nil {
			failed = append(failed, i)
		}
	}
	return failed
}

// TestSearchShrinks: for bodies whose smallest failing plan is known, the
// search finds it, whatever plan it found first.
func TestSearchShrinks(t *testing.T) {
	tests := []struct {
		name string
		body chaostest.Body
		opts []chaostest.ExploreOption
		want string
	}{
		{"any fault at one point", func(ctx context.Context, e *chaos.Engine) error {
			calls(ctx, e, "a", 3)
			if f := calls(ctx, e, "b", 3); len(f) > 0 {
				return fmt.Errorf("b failed at %v", f)
			}
			return nil
		}, nil, "b=1*error"},
		{"a late call", func(ctx context.Context, e *chaos.Engine) error {
			for _, i := range calls(ctx, e, "a", 5) {
				if i >= 2 {
					return fmt.Errorf("call %d failed", i)
				}
			}
			return nil
		}, nil, "a=1*error[after=2]"},
		{"two faults", func(ctx context.Context, e *chaos.Engine) error {
			if f := calls(ctx, e, "a", 6); len(f) >= 2 {
				return fmt.Errorf("calls %v failed", f)
			}
			return nil
		}, nil, "a=2*error"},
		{"faults at two points", func(ctx context.Context, e *chaos.Engine) error {
			if a, b := calls(ctx, e, "a", 3), calls(ctx, e, "b", 3); len(a) > 0 && len(b) > 0 {
				return errors.New("both failed")
			}
			return nil
		}, nil, "a=1*error;b=1*error"},
		{"the second fault kind", func(ctx context.Context, e *chaos.Engine) error {
			if err := e.Point("a").Inject(ctx); errors.Is(err, faults.ErrInjected) && strings.Contains(err.Error(), "boom") {
				return err
			}
			return nil
		}, []chaostest.ExploreOption{chaostest.ExploreFaults(faults.Error("fine"), faults.Error("boom"))}, "a=1*error(boom)"},
		{"a panic", func(ctx context.Context, e *chaos.Engine) error {
			if err := e.Point("a").Inject(ctx); err != nil {
				panic(err)
			}
			return nil
		}, nil, "a=1*error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(3) {
				f, err := chaostest.Search(t.Context(), tt.body, append(tt.opts, chaostest.ExploreSeed(seed+1))...)
				if err != nil {
					t.Fatal(err)
				}
				if !f.Failed() || f.Plan.String() != tt.want || f.Partial {
					t.Errorf("seed %d: found %q, shrunk to %q (partial %v), want %q", seed+1, f.Found, f.Plan, f.Partial, tt.want)
				}
			}
		})
	}
}

// TestSearchReportsPanics: a panic in the body is its failure.
func TestSearchReportsPanics(t *testing.T) {
	f, err := chaostest.Search(t.Context(), func(ctx context.Context, e *chaos.Engine) error {
		if err := e.Point("a").Inject(ctx); err != nil {
			panic("oops")
		}
		return nil
	})
	if err != nil || f.Err == nil || f.Err.Error() != "panic: oops" {
		t.Errorf("Search = %v, %v; want the panic as the failure", f.Err, err)
	}
}

// TestSearchDeterministic: a seed decides everything the search does.
func TestSearchDeterministic(t *testing.T) {
	body := func(ctx context.Context, e *chaos.Engine) error {
		if a, b := calls(ctx, e, "a", 4), calls(ctx, e, "b", 4); len(a)+len(b) >= 3 {
			return fmt.Errorf("a failed at %v, b at %v", a, b)
		}
		return nil
	}
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		f1, err1 := chaostest.Search(context.Background(), body, chaostest.ExploreSeed(seed))
		f2, err2 := chaostest.Search(context.Background(), body, chaostest.ExploreSeed(seed))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !f1.Found.Equal(f2.Found) || !f1.Plan.Equal(f2.Plan) || f1.Runs != f2.Runs || f1.Shrinks != f2.Shrinks || fmt.Sprint(f1.Err) != fmt.Sprint(f2.Err) {
			t.Fatalf("two searches with seed %d differ:\n%+v\n%+v", seed, f1, f2)
		}
	})
}

func TestSearchRefuses(t *testing.T) {
	tests := []struct {
		name string
		body chaostest.Body
		want error
	}{
		{"fails clean", func(context.Context, *chaos.Engine) error { return errors.New("broken") }, chaostest.ErrCleanRunFailed},
		{"no points", func(context.Context, *chaos.Engine) error { return nil }, chaostest.ErrNoPoints},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := chaostest.Search(t.Context(), tt.body); !errors.Is(err, tt.want) {
				t.Errorf("Search = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestSearchPoints: listed points replace discovery, and the discovery
// run finds every evaluated point, sorted.
func TestSearchPoints(t *testing.T) {
	body := func(ctx context.Context, e *chaos.Engine) error {
		calls(ctx, e, "z", 1)
		calls(ctx, e, "a", 1)
		e.Point("never.called")
		return nil
	}
	for _, tt := range []struct {
		opts []chaostest.ExploreOption
		want string
	}{
		{nil, "[a z]"},
		{[]chaostest.ExploreOption{chaostest.ExplorePoints("z")}, "[z]"},
	} {
		f, err := chaostest.Search(t.Context(), body, append(tt.opts, chaostest.ExploreRuns(20))...)
		if err != nil || fmt.Sprint(f.Points) != tt.want {
			t.Errorf("points %v, %v; want %s", f.Points, err, tt.want)
		}
		for _, r := range f.Plan.Rules {
			if !strings.Contains(tt.want, r.Point) {
				t.Errorf("plan names %q, not among %s", r.Point, tt.want)
			}
		}
	}
}

// TestSearchBounds: the runs, the time budget and the shrink runs bound
// the search.
func TestSearchBounds(t *testing.T) {
	passing := func(ctx context.Context, e *chaos.Engine) error {
		calls(ctx, e, "a", 1)
		return faults.Sleep(ctx, time.Second) // fake time in the bubble
	}
	failing := func(ctx context.Context, e *chaos.Engine) error {
		if len(calls(ctx, e, "a", 5)) > 0 {
			return errors.New("failed")
		}
		return nil
	}
	tests := []struct {
		name  string
		body  chaostest.Body
		opts  []chaostest.ExploreOption
		check func(t *testing.T, f *chaostest.Finding)
	}{
		{"runs", passing, []chaostest.ExploreOption{chaostest.ExploreRuns(7)}, func(t *testing.T, f *chaostest.Finding) {
			if f.Runs != 7 || f.Failed() {
				t.Errorf("runs %d, failed %v; want 7 passing", f.Runs, f.Failed())
			}
		}},
		{"default runs", passing, []chaostest.ExploreOption{chaostest.ExploreBudget(-1)}, func(t *testing.T, f *chaostest.Finding) {
			if f.Runs != chaostest.DefaultExploreRuns {
				t.Errorf("runs %d, want %d", f.Runs, chaostest.DefaultExploreRuns)
			}
		}},
		{"budget", passing, []chaostest.ExploreOption{chaostest.ExploreBudget(5 * time.Second), chaostest.ExploreRuns(-1)}, func(t *testing.T, f *chaostest.Finding) {
			// The clean run and four plans take the 5s.
			if f.Runs != 4 || f.Elapsed != 5*time.Second {
				t.Errorf("runs %d in %v, want 4 in 5s", f.Runs, f.Elapsed)
			}
		}},
		{"no shrinking", failing, []chaostest.ExploreOption{chaostest.ExploreShrinkRuns(-1), chaostest.ExploreSeed(3)}, func(t *testing.T, f *chaostest.Finding) {
			if !f.Plan.Equal(f.Found) || f.Shrinks != 0 || !f.Partial {
				t.Errorf("plan %q from %q after %d shrinks, partial %v; want it unshrunk", f.Plan, f.Found, f.Shrinks, f.Partial)
			}
		}},
		{"one shrink run", failing, []chaostest.ExploreOption{chaostest.ExploreShrinkRuns(1), chaostest.ExploreSeed(3)}, func(t *testing.T, f *chaostest.Finding) {
			if f.Shrinks != 1 || !f.Partial {
				t.Errorf("%d shrinks, partial %v; want 1, partial", f.Shrinks, f.Partial)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f, err := chaostest.Search(t.Context(), tt.body, tt.opts...)
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, f)
			})
		})
	}
}

// TestSearchStopsWithContext: a context that ends stops the search.
func TestSearchStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	_, err := chaostest.Search(ctx, func(ctx context.Context, e *chaos.Engine) error {
		if n++; n == 3 {
			cancel()
		}
		calls(ctx, e, "a", 1)
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 3 {
		t.Errorf("Search = %v after %d runs, want context.Canceled after 3", err, n)
	}
}

// TestPlansDraws: every plan Plans draws is valid and within its bounds.
func TestPlansDraws(t *testing.T) {
	points := []string{"a", "b.c", "d e"}
	gen := chaostest.Plans(points, chaostest.ExploreRules(2), chaostest.ExploreFaults(faults.Error(""), faults.Latency(time.Second)))
	rapid.Check(t, func(t *rapid.T) {
		p := gen.Draw(t, "plan")
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		if n := len(p.Rules); n < 1 || n > 2 {
			t.Fatalf("%d rules", n)
		}
		q, err := chaos.ParsePlan(p.String())
		if err != nil || !q.Equal(p) {
			t.Fatalf("%q does not round-trip: %v", p, err)
		}
		for _, r := range p.Rules {
			if !strings.Contains("a b.c d e", r.Point) || r.Times > 3 || r.After > 3 || r.Every == 1 || r.Every > 3 {
				t.Fatalf("rule %q out of bounds", r)
			}
		}
	})
}

// exploreTB is a fakeTB with a context, as Explore needs.
type exploreTB struct{ *fakeTB }

func (exploreTB) Context() context.Context { return context.Background() }

// TestExploreReports: Explore fails the test with the plan, the seed and
// the commands that replay it, and -faultline.plan runs just that plan.
func TestExploreReports(t *testing.T) {
	body := func(ctx context.Context, e *chaos.Engine) error {
		if f := calls(ctx, e, "db.commit", 2); len(f) > 0 {
			return errors.New("left a transaction open")
		}
		return nil
	}
	f := exploreTB{&fakeTB{name: "TestLedger/sub test"}}
	f.do(func() { chaostest.Explore(f, body, chaostest.ExploreSeed(7)) })
	if len(f.errs) != 1 {
		t.Fatalf("errors %q, want one", f.errs)
	}
	for _, want := range []string{
		"faultline: the body fails under plan db.commit=1*error (",
		"    error: left a transaction open\n",
		"    seed:  7\n",
		`replay the search:  go test -run '^TestLedger$/^sub test$' -faultline.seed=7`,
		`run only this plan: go test -run '^TestLedger$/^sub test$' -faultline.plan='db.commit=1*error'`,
	} {
		if !strings.Contains(f.errs[0], want) {
			t.Errorf("report lacks %q:\n%s", want, f.errs[0])
		}
	}

	if err := flag.Set("faultline.plan", "db.commit=1*error[after=1]"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set("faultline.plan", "") })
	g := exploreTB{&fakeTB{name: "TestLedger"}}
	var finding *chaostest.Finding
	g.do(func() { finding = chaostest.Explore(g, body) })
	if len(g.errs) != 1 || !strings.Contains(g.errs[0], "fails under plan db.commit=1*error[after=1]") || finding.Runs != 1 {
		t.Errorf("with -faultline.plan: errors %q, finding %+v", g.errs, finding)
	}
}

// TestExploreLogsNothingFound: a body that never fails passes, and the
// log says what was tried.
func TestExploreLogsNothingFound(t *testing.T) {
	f := exploreTB{&fakeTB{name: "TestFine"}}
	f.do(func() {
		chaostest.Explore(f, func(ctx context.Context, e *chaos.Engine) error {
			calls(ctx, e, "a", 1)
			return nil
		}, chaostest.ExploreRuns(5))
	})
	if len(f.errs) != 0 || len(f.logs) != 1 || !strings.Contains(f.logs[0], `no failure in 5 plans over 1 points ["a"]`) {
		t.Errorf("errors %q, logs %q", f.errs, f.logs)
	}
}
