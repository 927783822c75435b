package gameday_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/gameday"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/probes"
)

// service is a tiny system under test: a call at a fault point, feeding an
// SLI window.
type service struct {
	point  *chaos.Point
	window *probes.SampleWindow
	calls  atomic.Int64
	// retry makes a call that fails try once more, and record what became
	// of the injected error, as resilience code does.
	retry bool
}

func newService(e *chaos.Engine) *service {
	return &service{point: e.Point("db.query"), window: probes.NewSampleWindow(100)}
}

func (s *service) call(ctx context.Context) error {
	start := time.Now()
	err := s.point.Inject(ctx)
	if err != nil && s.retry {
		first := err
		if err = s.point.Inject(ctx); err == nil {
			faults.Absorbed(first)
		} else {
			faults.Escaped(err)
		}
	}
	s.calls.Add(1)
	s.window.Observe(start, err)
	return err
}

// load calls the service every 10ms, at 3ms past each tick of the probes'
// 100ms interval so that no call and no probe fall on the same simulated
// instant (their order within one instant is up to the scheduler), until
// ctx ends.
func (s *service) load(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(3 * time.Millisecond):
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_ = s.call(ctx)
		}
	}
}

func healthy(s *service) probes.Probe {
	return probes.Func("service answers", func(ctx context.Context) error { return nil })
}

func experiment(e *chaos.Engine, s *service, rolledBack *atomic.Int32) *gameday.Experiment {
	return &gameday.Experiment{
		Title:       "database errors",
		Hypothesis:  "the service keeps a 50% success ratio when a third of queries fail",
		Engine:      e,
		Plan:        chaos.MustParsePlan("db.query=33%error(timeout)"),
		SteadyState: []probes.Probe{healthy(s), s.window.SuccessRatioAtLeast("success ratio", 0.5, 10)},
		Method:      s.load,
		Duration:    time.Second,
		Interval:    100 * time.Millisecond,
		Rollbacks: []gameday.Rollback{{Name: "restart workers", Do: func(context.Context) error {
			rolledBack.Add(1)
			return nil
		}}},
	}
}

func TestExperimentCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(7), chaos.WithInstance("test"))
		s := newService(e)
		var rolledBack atomic.Int32
		rep, err := experiment(e, s, &rolledBack).Run(t.Context())
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if rep.Outcome != gameday.OutcomeCompleted || rep.Deviated {
			t.Errorf("status %s deviated %v, want completed and not deviated; verdict %q", rep.Outcome, rep.Deviated, rep.Verdict)
		}
		if rolledBack.Load() != 1 {
			t.Errorf("rollback ran %d times, want 1", rolledBack.Load())
		}
		if len(rep.Injections) != 1 || rep.Injections[0].Point != "db.query" || rep.Injections[0].ByKind[faults.KindError] == 0 {
			t.Fatalf("injections %+v, want errors at db.query", rep.Injections)
		}
		if got, want := rep.FaultsOff, time.Second; got != want {
			t.Errorf("faults off at %v, want %v", got, want)
		}
		if len(e.Plan().Rules) != 0 || e.Disabled() {
			t.Errorf("after the run: plan %q, disabled %v; want no plan and the switch untouched", e.Plan(), e.Disabled())
		}
		if rep.Seed != 7 || rep.Plan.String() != "db.query=33%error(timeout)" {
			t.Errorf("report seed %d plan %q", rep.Seed, rep.Plan)
		}
	})
}

func TestExperimentSteadyStateFailsFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		var methodRan, rolledBack atomic.Int32
		x := &gameday.Experiment{
			Title:       "unhealthy",
			Engine:      e,
			Plan:        chaos.MustParsePlan("db.query=error"),
			SteadyState: []probes.Probe{probes.Func("db up", func(context.Context) error { return errors.New("connection refused") })},
			Method:      func(context.Context) error { methodRan.Add(1); return nil },
			Rollbacks:   []gameday.Rollback{{Name: "noop", Do: func(context.Context) error { rolledBack.Add(1); return nil }}},
		}
		rep, err := x.Run(t.Context())
		if !errors.Is(err, gameday.ErrSteadyState) {
			t.Fatalf("err = %v, want ErrSteadyState", err)
		}
		if rep.Outcome != gameday.OutcomeFailed || methodRan.Load() != 0 || len(rep.Injections) != 0 {
			t.Errorf("status %s, method ran %d times, injections %v", rep.Outcome, methodRan.Load(), rep.Injections)
		}
		if rolledBack.Load() != 0 {
			t.Errorf("rollbacks ran with no fault switched on")
		}
		if len(e.Plan().Rules) != 0 {
			t.Errorf("plan applied although the steady state failed")
		}
		if !strings.Contains(rep.Markdown(), "`db up` failed before any fault was injected.") {
			t.Errorf("markdown does not say the steady state failed:\n%s", rep.Markdown())
		}
	})
}

func TestExperimentStopConditionAborts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(3))
		s := newService(e)
		var rolledBack atomic.Int32
		x := experiment(e, s, &rolledBack)
		x.Plan = chaos.MustParsePlan("db.query=error(down)")
		x.Duration = time.Minute
		x.Interval = 250 * time.Millisecond
		x.StopWhen = []probes.Probe{s.window.SuccessRatioAtLeast("success ratio ≥ 90%", 0.9, 5)}
		rep, err := x.Run(t.Context())
		if !errors.Is(err, gameday.ErrAborted) {
			t.Fatalf("err = %v, want ErrAborted", err)
		}
		if rep.Outcome != gameday.OutcomeAborted || rep.StopReason != "success ratio ≥ 90%" {
			t.Errorf("status %s reason %q", rep.Outcome, rep.StopReason)
		}
		// Every call fails from the first 10ms tick, so the window holds 5
		// samples by 50ms and the first check at 250ms must trip.
		if rep.FaultsOff != x.Interval {
			t.Errorf("faults off at %v, want at the first check (%v)", rep.FaultsOff, x.Interval)
		}
		if rolledBack.Load() != 1 {
			t.Errorf("rollback ran %d times, want 1", rolledBack.Load())
		}
		// Nothing fires after the abort, and the kill switch stays thrown.
		if err := s.call(t.Context()); err != nil {
			t.Errorf("a call after the abort failed: %v", err)
		}
		if a := e.Active(); !a.Disabled || a.DisabledReason != "experiment database errors: stop condition success ratio ≥ 90%" {
			t.Errorf("after an abort: disabled %v by %q; want the kill switch thrown by the stop condition", a.Disabled, a.DisabledReason)
		}
		if !rep.Deviated {
			t.Errorf("not deviated, but every call failed")
		}
	})
}

func TestExperimentInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(5))
		s := newService(e)
		var rolledBack atomic.Int32
		x := experiment(e, s, &rolledBack)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(300*time.Millisecond, cancel)
		rep, err := x.Run(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if rep.Outcome != gameday.OutcomeInterrupted || rep.FaultsOff != 300*time.Millisecond {
			t.Errorf("status %s, faults off at %v", rep.Outcome, rep.FaultsOff)
		}
		if rolledBack.Load() != 1 {
			t.Errorf("rollback ran %d times, want 1", rolledBack.Load())
		}
		var after int
		for _, p := range rep.Probes {
			if p.Phase == gameday.PhaseAfter {
				after++
			}
		}
		if after != 2 {
			t.Errorf("%d probes after the run, want 2: the report must be complete", after)
		}
		if a := e.Active(); !a.Disabled || a.DisabledReason != "experiment database errors: interrupted" {
			t.Errorf("after an interrupt: disabled %v by %q; want the kill switch thrown by the experiment", a.Disabled, a.DisabledReason)
		}
	})
}

func TestExperimentRestoresPreviousPlan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(5))
		if err := e.Apply(chaos.MustParsePlan("other=1%delay(1ms)"), chaos.FromSource("file")); err != nil {
			t.Fatal(err)
		}
		s := newService(e)
		var rolledBack atomic.Int32
		if _, err := experiment(e, s, &rolledBack).Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		a := e.Active()
		if a.Plan.String() != "other=1%delay(1ms)" || a.Source != "file" || a.Disabled {
			t.Errorf("after the run the active plan is %q from %q (disabled %v)", a.Plan, a.Source, a.Disabled)
		}
	})
}

// TestExperimentLeavesOthersChanges: what an operator or another applier
// did to the engine during the run stays after it, and the timeline says
// so. An experiment that put back its previous plan anyway undid the kill
// switch.
func TestExperimentLeavesOthersChanges(t *testing.T) {
	other := chaos.MustParsePlan("other=abort")
	tests := []struct {
		name   string
		change func(e *chaos.Engine)
		check  func(a chaos.Active) bool
		note   string
	}{
		{"kill switch", func(e *chaos.Engine) { e.Disable("admin: alice") },
			func(a chaos.Active) bool { return a.Disabled && a.DisabledReason == "admin: alice" },
			"kill switch thrown during the experiment by admin: alice; left off"},
		{"kill switch and rearm", func(e *chaos.Engine) { e.Disable("admin: alice"); e.Rearm("admin: bob") },
			func(a chaos.Active) bool { return !a.Disabled && a.RearmedBy == "admin: bob" && len(a.Plan.Rules) == 0 },
			"kill switch thrown during the experiment by admin: alice and re-armed by admin: bob; left as is"},
		{"plan replaced", func(e *chaos.Engine) { _ = e.Apply(other, chaos.FromSource("admin")) },
			func(a chaos.Active) bool { return !a.Disabled && a.Source == "admin" && a.Plan.Equal(other) },
			`plan replaced during the experiment (source "admin"); left as is`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := chaos.New(chaos.WithSeed(5))
				if err := e.Apply(chaos.MustParsePlan("standing=1%delay(1ms)"), chaos.FromSource("file")); err != nil {
					t.Fatal(err)
				}
				s := newService(e)
				var rolledBack atomic.Int32
				x := experiment(e, s, &rolledBack)
				time.AfterFunc(450*time.Millisecond, func() { tt.change(e) })
				rep, err := x.Run(t.Context())
				if err != nil || rep.Outcome != gameday.OutcomeCompleted {
					t.Fatalf("Run: %v, status %s", err, rep.Outcome)
				}
				if a := e.Active(); !tt.check(a) {
					t.Errorf("after the run: %+v", a)
				}
				if !hasNote(rep, gameday.PhaseAfter, tt.note) {
					t.Errorf("timeline %+v lacks %q", rep.Timeline, tt.note)
				}
				if rolledBack.Load() != 1 {
					t.Errorf("rollback ran %d times, want 1", rolledBack.Load())
				}
			})
		})
	}
}

// TestExperimentKilledBefore: a kill switch thrown before the run keeps
// the plan off; the run fails and the engine stays as it was.
func TestExperimentKilledBefore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(5))
		e.Disable("admin: alice")
		s := newService(e)
		var rolledBack atomic.Int32
		rep, err := experiment(e, s, &rolledBack).Run(t.Context())
		if !errors.Is(err, chaos.ErrDisabled) || rep.Outcome != gameday.OutcomeFailed {
			t.Fatalf("Run: %v, status %s; want ErrDisabled and failed", err, rep.Outcome)
		}
		if s.calls.Load() != 0 || len(rep.Injections) != 0 || rolledBack.Load() != 0 {
			t.Errorf("%d calls, injections %+v, %d rollbacks; want none", s.calls.Load(), rep.Injections, rolledBack.Load())
		}
		if a := e.Active(); !a.Disabled || a.DisabledReason != "admin: alice" {
			t.Errorf("after the run: disabled %v by %q", a.Disabled, a.DisabledReason)
		}
		if want := "plan not applied: the kill switch is thrown by admin: alice; re-arm the engine first"; !hasNote(rep, gameday.PhaseBefore, want) {
			t.Errorf("timeline %+v lacks %q", rep.Timeline, want)
		}
	})
}

func hasNote(rep *gameday.Report, phase gameday.Phase, msg string) bool {
	for _, e := range rep.Timeline {
		if e.Phase == phase && e.Message == msg {
			return true
		}
	}
	return false
}

func TestExperimentPolicyRefusal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithPolicy(chaos.Policy{MaxRate: 0.1}))
		s := newService(e)
		var rolledBack atomic.Int32
		rep, err := experiment(e, s, &rolledBack).Run(t.Context())
		if !errors.Is(err, chaos.ErrRefused) || rep.Outcome != gameday.OutcomeFailed {
			t.Fatalf("err %v status %s, want a refusal", err, rep.Outcome)
		}
		if s.calls.Load() != 0 {
			t.Errorf("the method ran although the plan was refused")
		}
	})
}

func TestExperimentCohorts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(11))
		p := e.Point("checkout")
		exp, ctl := probes.NewSampleWindow(1000), probes.NewSampleWindow(1000)
		const share = 0.2
		x := &gameday.Experiment{
			Title:    "checkout cohort",
			Engine:   e,
			Plan:     chaos.MustParsePlan("checkout=error"),
			Duration: time.Second,
			Cohort:   &gameday.Cohort{Label: "user", Share: share, Experiment: exp, Control: ctl},
			Method: func(ctx context.Context) error {
				for i := 0; ctx.Err() == nil && i < 500; i++ {
					user := fmt.Sprintf("user-%d", i)
					err := p.DecideLabels(ctx, chaos.Label{Key: "user", Value: user}).Err()
					w := ctl
					if e.InCohort(user, share) {
						w = exp
					}
					w.Record(err == nil, time.Millisecond)
				}
				<-ctx.Done()
				return nil
			},
		}
		rep, err := x.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		c := rep.Cohort
		if c == nil || c.Experiment == nil || c.Control == nil {
			t.Fatalf("no cohort report: %+v", c)
		}
		if c.Experiment.SuccessRatio != 0 || c.Control.SuccessRatio != 1 {
			t.Errorf("experiment ratio %v control %v, want 0 and 1", c.Experiment.SuccessRatio, c.Control.SuccessRatio)
		}
		if n := c.Experiment.Count; n < 60 || n > 140 {
			t.Errorf("%d of 500 users in a 20%% cohort", n)
		}
		if !strings.Contains(rep.Markdown(), "| experiment | ") {
			t.Errorf("markdown lacks the cohort table")
		}
	})
}
