package monkey_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/monkey"
	"github.com/faultline-go/faultline/faults"
)

// sure are candidates that fire on every call, so a test sees at once
// whether one is on.
var sure = []chaos.Rule{
	{Point: "a", Fault: faults.Error("a"), Rate: 1},
	{Point: "b", Fault: faults.Error("b"), Rate: 1},
	{Point: "c", Fault: faults.Abort(), Rate: 1},
}

// start runs m in a goroutine and returns a function that stops it and
// returns Run's error.
func start(t *testing.T, m *monkey.Monkey) (stop func() error) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var (
		once sync.Once
		err  error
	)
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// until lets fake time pass to t, and the bubble settle.
func until(t time.Time) {
	<-time.After(time.Until(t)) // fake time: the bubble's clock moves at once
	synctest.Wait()
}

// firing lists the sure candidates that fire now.
func firing(t *testing.T, e *chaos.Engine) []string {
	var on []string
	for _, r := range sure {
		if e.Point(r.Point).Inject(t.Context()) != nil {
			on = append(on, r.Point)
		}
	}
	return on
}

// Over four simulated weeks, the monkey acts exactly on the schedule:
// only inside its windows, never closer than the gap, each rule on for its
// length and then off, the base plan on throughout.
func TestRunOverWeeks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(3), chaos.WithInstance("web-1"))
		base := chaos.MustParsePlan("base=error(always)")
		var hooked []monkey.Activation
		var mu sync.Mutex
		m, err := monkey.New(e, sure,
			monkey.WithMeanInterval(4*time.Hour),
			monkey.WithLength(45*time.Minute),
			monkey.WithMinGap(3*time.Hour),
			monkey.WithWindows(chaos.TimeWindow{Days: weekdays, Start: "09:00", End: "17:00", Location: "Europe/Paris"}),
			monkey.WithBase(base),
			monkey.WithOnActivation(func(a monkey.Activation) {
				mu.Lock()
				defer mu.Unlock()
				hooked = append(hooked, a)
			}))
		if err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		stopAt := begin.AddDate(0, 0, 28)
		var want []monkey.Activation
		for _, a := range m.Schedule(begin, 200) {
			if a.End.After(stopAt) {
				break
			}
			want = append(want, a)
		}
		if len(want) < 20 {
			t.Fatalf("only %d activations in four weeks", len(want))
		}
		stop := start(t, m)
		synctest.Wait()
		if err := e.Apply(base); err != nil {
			t.Fatal(err)
		}
		basePoint := e.Point("base")
		for _, a := range want {
			until(a.Start.Add(-time.Second))
			if on := firing(t, e); len(on) != 0 {
				t.Fatalf("before activation %d at %v: %v firing", a.N, a.Start, on)
			}
			until(a.Start)
			if on := firing(t, e); len(on) != 1 || on[0] != sure[a.Candidate].Point {
				t.Fatalf("activation %d at %v: %v firing, want %s", a.N, a.Start, on, sure[a.Candidate].Point)
			}
			if got := e.Active().Source; got != "monkey#"+strconv.FormatUint(a.N, 10) {
				t.Errorf("activation %d: source %q", a.N, got)
			}
			if basePoint.Inject(t.Context()) == nil {
				t.Errorf("activation %d: the base rule is off", a.N)
			}
			until(a.End)
			if on := firing(t, e); len(on) != 0 {
				t.Fatalf("after activation %d ended at %v: %v firing", a.N, a.End, on)
			}
			if got := e.Plan(); !got.Equal(base) {
				t.Errorf("after activation %d: plan %q, want the base", a.N, got)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		hist := m.History()
		mu.Lock()
		defer mu.Unlock()
		if len(hist) != len(want) || len(hooked) != len(want) {
			t.Fatalf("%d in history and %d hooked, want %d", len(hist), len(hooked), len(want))
		}
		for i := range want {
			if !sameActivation(hist[i], want[i]) || !sameActivation(hooked[i], want[i]) {
				t.Errorf("activation %d: history %+v, hooked %+v, want %+v", i+1, hist[i], hooked[i], want[i])
			}
		}
	})
}

// onFirst returns a monkey over sure, and the first activation it will
// make from now.
func onFirst(t *testing.T, e *chaos.Engine, opts ...monkey.Option) (*monkey.Monkey, monkey.Activation) {
	t.Helper()
	m, err := monkey.New(e, sure, append([]monkey.Option{monkey.WithMeanInterval(time.Hour), monkey.WithLength(10 * time.Minute)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m, m.Schedule(time.Now(), 1)[0]
}

func TestRunKillSwitch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		m, first := onFirst(t, e)
		second := m.Schedule(time.Now(), 2)[1] // Run starts now: no fake time passes until it blocks
		start(t, m)
		e.Disable("admin: alice")
		until(first.Start)
		if !e.Disabled() || len(firing(t, e)) != 0 {
			t.Fatal("the monkey undid the kill switch")
		}
		h := m.History()
		if len(h) != 1 || !errors.Is(h[0].Err, monkey.ErrDisabled) {
			t.Fatalf("history %+v, want one activation with ErrDisabled", h)
		}
		// Re-arming turns the engine on; the monkey acts again.
		e.Rearm("admin: alice")
		until(second.Start)
		if h := m.History(); len(h) != 2 || h[1].Err != nil {
			t.Errorf("history %+v, want the second activation applied", h)
		}
		if on := firing(t, e); len(on) != 1 {
			t.Errorf("second activation: %v firing", on)
		}
	})
}

func TestRunRefusedByPolicy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.Policy{Kinds: []faults.Kind{faults.KindLatency}}))
		if err := e.Apply(chaos.MustParsePlan("x=delay(1ms)"), chaos.FromSource("admin")); err != nil {
			t.Fatal(err)
		}
		m, first := onFirst(t, e)
		start(t, m)
		until(first.Start)
		h := m.History()
		if len(h) != 1 || !errors.Is(h[0].Err, chaos.ErrRefused) {
			t.Fatalf("history %+v, want one activation refused", h)
		}
		if got := e.Active().Source; got != "admin" {
			t.Errorf("a refused activation changed the plan: source %q", got)
		}
	})
}

// Whatever changed the engine during an activation stays when it ends: a
// plan applied by someone else, the kill switch, or the kill switch thrown
// and re-armed (the engine then has no plan, and the monkey does not put
// its base back).
func TestRunYieldsToOtherChanges(t *testing.T) {
	other := chaos.MustParsePlan("other=abort")
	tests := []struct {
		name   string
		change func(t *testing.T, e *chaos.Engine)
		check  func(t *testing.T, a chaos.Active)
	}{
		{"plan applied", func(t *testing.T, e *chaos.Engine) {
			if err := e.Apply(other, chaos.FromSource("admin")); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, a chaos.Active) {
			if a.Source != "admin" || !a.Plan.Equal(other) {
				t.Errorf("%q from %q, want the admin's plan", a.Plan, a.Source)
			}
		}},
		{"kill switch", func(t *testing.T, e *chaos.Engine) {
			e.Disable("admin: alice")
		}, func(t *testing.T, a chaos.Active) {
			if !a.Disabled || a.DisabledReason != "admin: alice" {
				t.Errorf("disabled %v by %q, want the kill switch still thrown by admin: alice", a.Disabled, a.DisabledReason)
			}
		}},
		{"kill switch and rearm", func(t *testing.T, e *chaos.Engine) {
			e.Disable("admin: alice")
			e.Rearm("admin: alice")
		}, func(t *testing.T, a chaos.Active) {
			if a.Disabled || a.RearmedBy != "admin: alice" || len(a.Plan.Rules) != 0 {
				t.Errorf("disabled %v, re-armed by %q, plan %q; want the engine as the rearm left it, with no plan", a.Disabled, a.RearmedBy, a.Plan)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := chaos.New(chaos.WithSeed(1))
				m, first := onFirst(t, e, monkey.WithBase(chaos.MustParsePlan("base=abort")))
				start(t, m)
				until(first.Start)
				tt.change(t, e)
				changed := e.Active()
				until(first.End)
				a := e.Active()
				if a.Generation != changed.Generation {
					t.Errorf("the activation's end changed the engine: generation %d, want %d; plan %q from %q", a.Generation, changed.Generation, a.Plan, a.Source)
				}
				tt.check(t, a)
			})
		})
	}
}

// Stopping during an activation ends it.
func TestRunStopDuringActivation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		m, first := onFirst(t, e, monkey.WithBase(chaos.MustParsePlan("base=abort")))
		stop := start(t, m)
		until(first.Start.Add(time.Minute))
		if len(firing(t, e)) != 1 {
			t.Fatal("the activation is not on")
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if on := firing(t, e); len(on) != 0 || e.Plan().String() != "base=abort" || e.Active().Source != "monkey" {
			t.Errorf("after stop: %v firing, plan %q from %q", on, e.Plan(), e.Active().Source)
		}
	})
}

// An instance outside the share records the activation and changes
// nothing.
func TestRunSkippedInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Find an instance id the first activation leaves out.
		var e *chaos.Engine
		var m *monkey.Monkey
		var first monkey.Activation
		for i := 0; ; i++ {
			e = chaos.New(chaos.WithSeed(1), chaos.WithInstance("web-"+strconv.Itoa(i)))
			m, first = onFirst(t, e, monkey.WithShare(0.5))
			if first.Skipped {
				break
			}
		}
		start(t, m)
		until(first.Start)
		if len(firing(t, e)) != 0 || e.Active().Source != "" {
			t.Error("a skipped activation changed the plan")
		}
		if h := m.History(); len(h) != 1 || !h[0].Skipped || h[0].Err != nil {
			t.Errorf("history %+v, want one skipped activation", h)
		}
	})
}

func TestRunTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := onFirst(t, chaos.New())
		start(t, m)
		synctest.Wait()
		if err := m.Run(t.Context()); !errors.Is(err, monkey.ErrRunning) {
			t.Errorf("second Run = %v, want ErrRunning", err)
		}
	})
}

func TestHistoryBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := monkey.New(chaos.New(), sure, monkey.WithMeanInterval(time.Minute), monkey.WithLength(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		sched := m.Schedule(time.Now(), monkey.HistorySize+50)
		start(t, m)
		until(sched[len(sched)-1].End)
		h := m.History()
		if len(h) != monkey.HistorySize {
			t.Fatalf("history holds %d, want %d", len(h), monkey.HistorySize)
		}
		if h[0].N != 51 || h[len(h)-1].N != uint64(len(sched)) {
			t.Errorf("history spans %d..%d, want 51..%d", h[0].N, h[len(h)-1].N, len(sched))
		}
	})
}

func TestRunLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "end" {
				return slog.Attr{}
			}
			return a
		}}))
		m, first := onFirst(t, chaos.New(chaos.WithSeed(1)), monkey.WithLogger(l))
		start(t, m)
		until(first.End)
		want := `level=INFO msg="faultline: monkey activation" activation=1 point=` + sure[first.Candidate].Point
		if !strings.Contains(buf.String(), want) || !strings.Contains(buf.String(), `msg="faultline: monkey activation ended" activation=1`) {
			t.Errorf("log:\n%s\nwant a line holding %s and its end", buf.String(), want)
		}
	})
}
