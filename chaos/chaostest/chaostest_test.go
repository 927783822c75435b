package chaostest_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
)

// fakeTB is a testing.TB that records what the helpers report, so that a
// test can check a failure without failing itself. Methods it does not
// define panic through the nil embedded TB.
type fakeTB struct {
	testing.TB
	name     string
	failed   bool
	errs     []string
	logs     []string
	cleanups []func()
}

// fatal is the panic value fakeTB.Fatalf stops the helper with.
type fatal struct{}

func (f *fakeTB) Helper()                 {}
func (f *fakeTB) Name() string            { return f.name }
func (f *fakeTB) Failed() bool            { return f.failed }
func (f *fakeTB) Cleanup(fn func())       { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Logf(s string, a ...any) { f.logs = append(f.logs, fmt.Sprintf(s, a...)) }

func (f *fakeTB) Errorf(s string, a ...any) {
	f.failed = true
	f.errs = append(f.errs, fmt.Sprintf(s, a...))
}

func (f *fakeTB) Fatalf(s string, a ...any) {
	f.Errorf(s, a...)
	panic(fatal{})
}

// do runs fn as a test body would, stopping quietly at a Fatalf.
func (f *fakeTB) do(fn func()) {
	defer func() {
		if v := recover(); v != nil && v != (fatal{}) {
			panic(v)
		}
	}()
	fn()
}

// finish runs the cleanups, last registered first, as the testing package
// does when a test ends.
func (f *fakeTB) finish() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	f.cleanups = nil
}

func TestSeedPerTestName(t *testing.T) {
	seeds := map[string]uint64{}
	for _, name := range []string{"TestA", "TestB", "TestA/sub"} {
		t.Run(name, func(t *testing.T) {
			s := chaostest.Seed(t)
			if s != chaostest.Seed(t) {
				t.Fatal("Seed is not stable within a test")
			}
			if e := chaostest.New(t); e.Seed() != s || e.Instance() != "test" {
				t.Errorf("New: seed %d instance %q, want seed %d instance test", e.Seed(), e.Instance(), s)
			}
			seeds[t.Name()] = s
		})
	}
	if len(seeds) != 3 || seeds["TestSeedPerTestName/TestA"] == seeds["TestSeedPerTestName/TestB"] {
		t.Errorf("tests with different names got seeds %v", seeds)
	}
	// Stable across runs: the seed is a function of the name alone.
	if a, b := chaostest.Seed(&fakeTB{name: "TestCheckout"}), chaostest.Seed(&fakeTB{name: "TestCheckout"}); a != b {
		t.Errorf("two tests named alike got seeds %d and %d", a, b)
	}
}

func TestSeedFlag(t *testing.T) {
	if err := flag.Set("faultline.seed", "1234567"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set("faultline.seed", "0") })
	if got := chaostest.Seed(t); got != 1234567 {
		t.Errorf("Seed with -faultline.seed=1234567 = %d", got)
	}
	if got := chaostest.New(t).Seed(); got != 1234567 {
		t.Errorf("New with -faultline.seed=1234567 has seed %d", got)
	}
	if got := chaostest.New(t, chaos.WithSeed(9)).Seed(); got != 9 {
		t.Errorf("WithSeed does not override the flag: seed %d", got)
	}
}

func TestNewLogsSeedOnFailure(t *testing.T) {
	for _, failed := range []bool{false, true} {
		f := &fakeTB{name: "TestCheckout"}
		e := chaostest.New(f)
		f.failed = failed
		f.finish()
		want := fmt.Sprintf("faultline: engine seed %d; replay with -faultline.seed=%d", e.Seed(), e.Seed())
		if got := slices.Contains(f.logs, want); got != failed {
			t.Errorf("failed=%v: logs %q", failed, f.logs)
		}
	}
}

// TestEnableRestores: whatever was active before Enable, and whatever the
// test did to the kill switch meanwhile, cleanup puts back what was
// active before; the engine is the test's own, so it re-arms it to do so.
func TestEnableRestores(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(e *chaos.Engine)
		during func(e *chaos.Engine) // after the plan is checked to be on
		check  func(t *testing.T, e *chaos.Engine)
	}{
		{"previous plan", func(e *chaos.Engine) {
			_ = e.Apply(chaos.MustParsePlan("a=abort"), chaos.FromSource("admin"))
		}, nil, func(t *testing.T, e *chaos.Engine) {
			if a := e.Active(); a.Plan.String() != "a=abort" || a.Source != "admin" || e.Disabled() {
				t.Errorf("restored %+v", a)
			}
		}},
		{"no plan", func(*chaos.Engine) {}, nil, func(t *testing.T, e *chaos.Engine) {
			if len(e.Plan().Rules) != 0 || e.Disabled() {
				t.Errorf("restored plan %q, disabled %v; want no plan, not disabled", e.Plan(), e.Disabled())
			}
		}},
		{"kill switch", func(e *chaos.Engine) {
			_ = e.Apply(chaos.MustParsePlan("a=abort"))
			e.Disable("admin: alice")
		}, nil, func(t *testing.T, e *chaos.Engine) {
			if a := e.Active(); !a.Disabled || a.DisabledReason != "admin: alice" || len(e.Plan().Rules) != 0 {
				t.Errorf("restored plan %q, disabled %v by %q; want the kill switch thrown by admin: alice", e.Plan(), a.Disabled, a.DisabledReason)
			}
		}},
		{"kill switch thrown by the test", func(e *chaos.Engine) {
			_ = e.Apply(chaos.MustParsePlan("a=abort"), chaos.FromSource("admin"))
		}, func(e *chaos.Engine) {
			e.Disable("the test")
		}, func(t *testing.T, e *chaos.Engine) {
			a := e.Active()
			if a.Disabled || a.RearmedBy != "chaostest cleanup" || a.Plan.String() != "a=abort" || a.Source != "admin" {
				t.Errorf("disabled %v, re-armed by %q, plan %q from %q; want a=abort from admin, re-armed by chaostest cleanup", a.Disabled, a.RearmedBy, a.Plan, a.Source)
			}
			if e.Point("a").Inject(context.Background()) == nil {
				t.Error("the restored plan does not fire")
			}
		}},
		{"kill switch thrown before and by the test", func(e *chaos.Engine) {
			e.Disable("admin: alice")
		}, func(e *chaos.Engine) {
			e.Disable("the test")
		}, func(t *testing.T, e *chaos.Engine) {
			if a := e.Active(); !a.Disabled || a.DisabledReason != "admin: alice" {
				t.Errorf("disabled %v by %q; want the kill switch thrown by admin: alice", a.Disabled, a.DisabledReason)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1))
			tt.setup(e)
			f := &fakeTB{name: t.Name()}
			f.do(func() { chaostest.Enable(f, e, "p=error(enabled)") })
			if err := e.Point("p").Inject(context.Background()); !errors.Is(err, faults.ErrInjected) {
				t.Fatalf("Inject while enabled = %v; errors %q", err, f.errs)
			}
			if tt.during != nil {
				tt.during(e)
			}
			f.finish()
			if len(f.errs) != 0 {
				t.Errorf("errors %q", f.errs)
			}
			tt.check(t, e)
		})
	}
}

// TestEnableRefusedKeepsKillSwitch: a plan refused on an engine whose kill
// switch was thrown leaves the switch thrown.
func TestEnableRefusedKeepsKillSwitch(t *testing.T) {
	e := chaos.New(chaos.WithPolicy(chaos.Policy{MaxRate: 0.5}))
	e.Disable("admin: alice")
	f := &fakeTB{name: t.Name()}
	f.do(func() { chaostest.Enable(f, e, "p=error") })
	if len(f.errs) != 1 || !strings.Contains(f.errs[0], "exceeds the policy's max rate") {
		t.Errorf("errors %q, want the refusal", f.errs)
	}
	if a := e.Active(); !a.Disabled || a.DisabledReason != "admin: alice" {
		t.Errorf("disabled %v by %q; want the kill switch still thrown by admin: alice", a.Disabled, a.DisabledReason)
	}
}

// TestEnableNested: inner plans restore outer ones in turn.
func TestEnableNested(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	f := &fakeTB{name: t.Name()}
	f.do(func() {
		chaostest.Enable(f, e, "outer=abort")
		_ = e.Point("outer").Decide(context.Background())
		chaostest.Enable(f, e, `{"rules":[{"point":"inner","fault":"badconn"}]}`)
		_ = e.Point("inner").Decide(context.Background())
	})
	var plans []string
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
		plans = append(plans, e.Plan().String())
	}
	if want := []string{"outer=abort", ""}; !slices.Equal(plans, want) {
		t.Errorf("plans after each cleanup %q, want %q", plans, want)
	}
	if len(f.errs) != 0 {
		t.Errorf("errors %q", f.errs)
	}
}

// TestEnableReportsUnexercisedRules: at cleanup, a rule that named no point
// evaluated while the plan was enabled fails the test, once per rule.
func TestEnableReportsUnexercisedRules(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("before=error"))
	_ = e.Point("before").Inject(context.Background()) // evaluated, but before Enable
	f := &fakeTB{name: t.Name()}
	f.do(func() {
		chaostest.Enable(f, e, "db.query=error;db.qeury=error;sql.*=0%abort;before=error;never=error")
		_ = e.Point("db.query").Inject(context.Background())
		_ = e.Point("sql.exec").Inject(context.Background())
	})
	f.finish()
	want := []string{
		`faultline: rule 1 (point "db.qeury") named no point that was evaluated while the plan was enabled`,
		`faultline: rule 3 (point "before") named no point that was evaluated while the plan was enabled`,
		`faultline: rule 4 (point "never") named no point that was evaluated while the plan was enabled`,
	}
	if !slices.Equal(f.errs, want) {
		t.Errorf("errors\n got %q\nwant %q", f.errs, want)
	}
	if e.Plan().String() != "before=error" {
		t.Errorf("the previous plan was not restored after the check failed: %q", e.Plan())
	}
}

// TestEnableSkipsCheckAfterFailure: a test that failed already is not told
// about its unexercised rules too.
func TestEnableSkipsCheckAfterFailure(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	f := &fakeTB{name: t.Name()}
	f.do(func() {
		chaostest.Enable(f, e, "never=error")
		f.Errorf("the test's own failure")
	})
	f.finish()
	if len(f.errs) != 1 {
		t.Errorf("errors %q, want only the test's own", f.errs)
	}
}

func TestEnableRefusesBadPlans(t *testing.T) {
	tests := []struct {
		name, plan, want string
		opts             []chaos.Option
	}{
		{"text", "p=150%error", "faultline: chaos: invalid plan: rules[0].rate: 1.5 is outside [0,1]", nil},
		{"json", `{"rules":[{"point":"p"}]}`, "faultline: chaos: invalid plan: rules[0].fault.kind: none is not a fault", nil},
		{"policy", "p=panic", "faultline: chaos: plan refused by policy: rules[0].fault.kind: panic is not allowed by the policy (allowed: latency, error, status, abort, badconn, corrupt)",
			[]chaos.Option{chaos.WithPolicy(chaos.Policy{Kinds: chaos.ProductionPolicy().Kinds})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(tt.opts...)
			f := &fakeTB{name: t.Name()}
			reached := false
			f.do(func() {
				chaostest.Enable(f, e, tt.plan)
				reached = true
			})
			if reached || !slices.Equal(f.errs, []string{tt.want}) {
				t.Errorf("Enable went on: %v; errors %q, want %q", reached, f.errs, tt.want)
			}
			if len(f.cleanups) != 0 {
				t.Error("a refused plan registered a cleanup")
			}
		})
	}
}

// TestEnablePlan uses the real testing.T: the rule is exercised, so the
// cleanup check passes.
func TestEnablePlan(t *testing.T) {
	e := chaostest.New(t)
	chaostest.EnablePlan(t, e, chaos.Plan{Rules: []chaos.Rule{{Point: "charge", Fault: faults.Error("declined"), Rate: 1, Times: 1}}})
	err := e.Point("charge").Inject(context.Background())
	if err == nil || !strings.Contains(err.Error(), "declined") {
		t.Fatalf("Inject = %v", err)
	}
	if err := e.Point("charge").Inject(context.Background()); err != nil {
		t.Fatalf("second Inject = %v, want nil after times=1", err)
	}
}
