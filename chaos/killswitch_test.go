package chaos_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// TestKillSwitchHoldsUntilRearm: once thrown, no Apply or Restore turns
// faults back on; only Rearm does, and the engine says who did.
func TestKillSwitchHoldsUntilRearm(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	p := chaos.MustParsePlan("x=error")
	if err := e.Apply(p, chaos.FromSource("file")); err != nil {
		t.Fatal(err)
	}
	before := e.Active()
	e.Disable("admin: alice")
	tries := []struct {
		name string
		do   func() error
	}{
		{"apply", func() error { return e.Apply(p) }},
		{"apply empty plan", func() error { return e.Apply(chaos.Plan{}) }},
		{"apply at the current generation", func() error { return e.Apply(p, chaos.IfGeneration(e.Active().Generation)) }},
		{"restore", func() error { return e.Restore(before) }},
	}
	for _, tt := range tries {
		if err := tt.do(); !errors.Is(err, chaos.ErrDisabled) {
			t.Errorf("%s while killed = %v, want ErrDisabled", tt.name, err)
		}
		if !e.Disabled() || !e.Active().Disabled || e.Point("x").Inject(t.Context()) != nil {
			t.Fatalf("%s turned faults back on", tt.name)
		}
	}
	a := e.Active()
	if a.DisabledReason != "admin: alice" || a.DisabledAt.IsZero() || a.Plan.String() != "x=error" {
		t.Errorf("Active while killed = %+v, want the reason, the time and the killed plan", a)
	}

	e.Rearm("admin: bob")
	a = e.Active()
	if e.Disabled() || a.Disabled || a.RearmedBy != "admin: bob" || a.RearmedAt.IsZero() || len(a.Plan.Rules) != 0 {
		t.Fatalf("after Rearm: %+v; want live, re-armed by bob, no plan", a)
	}
	if e.Point("x").Inject(t.Context()) != nil {
		t.Error("Rearm switched the killed plan back on")
	}
	if err := e.Apply(p); err != nil || e.Point("x").Inject(t.Context()) == nil {
		t.Errorf("Apply after Rearm = %v, or it does not fire", err)
	}
}

// TestIfGeneration: an Apply conditioned on a generation applies only if
// nothing changed since, and leaves the generation one higher.
func TestIfGeneration(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	g := e.Active().Generation
	if err := e.Apply(chaos.MustParsePlan("a=error"), chaos.IfGeneration(g)); err != nil {
		t.Fatal(err)
	}
	if got := e.Active().Generation; got != g+1 {
		t.Fatalf("generation after a conditional Apply = %d, want %d", got, g+1)
	}
	if err := e.Apply(chaos.MustParsePlan("b=error"), chaos.IfGeneration(g)); !errors.Is(err, chaos.ErrConflict) {
		t.Fatalf("Apply at a stale generation = %v, want ErrConflict", err)
	}
	if got := e.Plan().String(); got != "a=error" {
		t.Errorf("a conflicting Apply changed the plan to %q", got)
	}
	for _, step := range []struct {
		name   string
		change func()
	}{
		{"apply", func() { _ = e.Apply(chaos.MustParsePlan("c=error")) }},
		{"disable", func() { e.Disable("test") }},
		{"rearm", func() { e.Rearm("test") }},
	} {
		g := e.Active().Generation
		step.change()
		if got := e.Active().Generation; got != g+1 {
			t.Errorf("%s moved the generation from %d to %d, want +1", step.name, g, got)
		}
	}
	g = e.Active().Generation
	e.Rearm("test")
	if got := e.Active().Generation; got != g {
		t.Errorf("Rearm of a live engine moved the generation from %d to %d", g, got)
	}
	// A restore conditioned on the generation of one's own Apply never
	// undoes a later change, the kill switch included.
	g = e.Active().Generation
	prev := e.Active()
	if err := e.Apply(chaos.MustParsePlan("mine=error"), chaos.IfGeneration(g)); err != nil {
		t.Fatal(err)
	}
	e.Disable("operator")
	if err := e.Restore(prev, chaos.IfGeneration(g+1)); !errors.Is(err, chaos.ErrConflict) && !errors.Is(err, chaos.ErrDisabled) {
		t.Errorf("Restore after a kill = %v, want a refusal", err)
	}
	if !e.Disabled() {
		t.Error("a restore undid the kill switch")
	}
}

// TestDisableEndsWaits: a latency or hang fault that is already waiting
// returns nil as soon as the kill switch is thrown, not when its context
// ends; so does one applied through a Decision.
func TestDisableEndsWaits(t *testing.T) {
	for _, plan := range []string{"p=delay(1h)", "p=hang"} {
		for _, how := range []string{"inject", "decision"} {
			t.Run(plan+"/"+how, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					e := engineWith(t, plan)
					p := e.Point("p")
					done := make(chan error, 1)
					go func() {
						if how == "inject" {
							done <- p.Inject(context.Background())
						} else {
							done <- p.Decide(context.Background()).Inject(context.Background())
						}
					}()
					synctest.Wait()
					start := time.Now()
					e.Disable("test")
					if err := <-done; err != nil {
						t.Errorf("the wait returned %v, want nil", err)
					}
					if d := time.Since(start); d != 0 {
						t.Errorf("the wait ended %v after Disable, want at once", d)
					}
				})
			})
		}
	}
}

// TestHangIsBounded: a hang on a context that never ends returns the
// injected error after its bound: its own, the policy's longest latency, or
// faults.DefaultHangLimit.
func TestHangIsBounded(t *testing.T) {
	tests := []struct {
		name   string
		policy *chaos.Policy
		fault  faults.Fault
		want   time.Duration
	}{
		{"default", nil, faults.Hang(), faults.DefaultHangLimit},
		{"own bound", nil, faults.HangFor(5 * time.Second), 5 * time.Second},
		{"policy bound", &chaos.Policy{MaxLatency: 2 * time.Second}, faults.Hang(), 2 * time.Second},
		{"own bound under the policy's", &chaos.Policy{MaxLatency: 2 * time.Second}, faults.HangFor(time.Second), time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var opts []chaos.Option
				if tt.policy != nil {
					opts = append(opts, chaos.WithPolicy(*tt.policy))
				}
				e := chaos.New(opts...)
				if err := e.Apply(chaos.Plan{Rules: []chaos.Rule{{Point: "p", Rate: 1, Fault: tt.fault}}}); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				err := e.Point("p").Inject(context.Background())
				if !errors.Is(err, faults.ErrInjected) {
					t.Errorf("hang returned %v, want the injected error", err)
				}
				if got := time.Since(start); got != tt.want {
					t.Errorf("hang took %v, want %v", got, tt.want)
				}
				if d := e.Point("p").Decide(context.Background()).Delay(); d != tt.want {
					t.Errorf("Decision.Delay() = %v, want the bound %v", d, tt.want)
				}
			})
		})
	}
}

// TestBlockingObserverReleasedByDisable: an observer that blocks cannot
// hold a call past the kill switch.
func TestBlockingObserverReleasedByDisable(t *testing.T) {
	e := engineWith(t, "p=error")
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	e.AddObserver(chaos.ObserverFunc(func(context.Context, chaos.Event) {
		entered <- struct{}{}
		<-release
	}))
	done := make(chan error, 1)
	go func() { done <- e.Point("p").Inject(context.Background()) }()
	<-entered
	e.Disable("test")
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Inject released by the kill switch = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a blocked observer held Inject past Disable")
	}
	close(release)
}

// TestObserverPanicIsContained: an observer that panics does not turn a
// fault into a panic on the caller's goroutine; it is counted and logged
// once.
func TestObserverPanicIsContained(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	e := chaos.New(chaos.WithSeed(1), chaos.WithLogger(newTextLogger(&buf, &mu)))
	if err := e.Apply(chaos.MustParsePlan("p=error")); err != nil {
		t.Fatal(err)
	}
	e.AddObserver(chaos.ObserverFunc(func(context.Context, chaos.Event) { panic("observer bug") }))
	var after atomic.Int64
	e.AddObserver(chaos.ObserverFunc(func(context.Context, chaos.Event) { after.Add(1) }))
	for range 3 {
		if err := e.Point("p").Inject(context.Background()); !errors.Is(err, faults.ErrInjected) {
			t.Fatalf("Inject = %v, want the injected error", err)
		}
	}
	if got := e.Stats().ObserverPanics; got != 3 {
		t.Errorf("ObserverPanics = %d, want 3", got)
	}
	if got := after.Load(); got != 3 {
		t.Errorf("the next observer ran %d times, want 3", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(buf.String(), "observer panicked"); n != 1 {
		t.Errorf("logged the panic %d times, want once:\n%s", n, buf.String())
	}
}

// TestMaxRateBoundsTheSum: ten rules of 5% on one point under the
// production policy fail about 5% of calls, not 40%.
func TestMaxRateBoundsTheSum(t *testing.T) {
	e := chaos.New(chaos.WithSeed(7), chaos.WithPolicy(chaos.ProductionPolicy()))
	if err := e.Apply(chaos.MustParsePlan(strings.Repeat("*=5%error;", 9) + "*=5%error")); err != nil {
		t.Fatal(err)
	}
	p := e.Point("checkout")
	const calls = 100_000
	var failed int
	for range calls {
		if p.Inject(context.Background()) != nil {
			failed++
		}
	}
	// The bound is 5%; the 99.9% binomial interval over 100,000 calls
	// at 5% reaches about 5.23%.
	if share := float64(failed) / calls; share > 0.0523 || share < 0.03 {
		t.Errorf("%.2f%% of calls failed, want at most the policy's 5%%", share*100)
	}
}

// TestEventLabelsAreBounded: a huge label value is cut, and copied, before
// the engine hands it to observers, so a kept event does not keep the
// value alive.
func TestEventLabelsAreBounded(t *testing.T) {
	e := engineWith(t, "p=error")
	var got []chaos.Label
	e.AddObserver(chaos.ObserverFunc(func(_ context.Context, ev chaos.Event) { got = ev.Labels }))
	huge := strings.Repeat("x", 1<<20)
	kv := []string{"big", huge}
	for i := range 40 {
		kv = append(kv, "k"+string(rune('a'+i%26))+string(rune('a'+i/26)), "v")
	}
	_ = e.Point("p").Inject(chaos.WithLabels(context.Background(), kv...))
	if len(got) > chaos.MaxEventLabels {
		t.Errorf("event carries %d labels, want at most %d", len(got), chaos.MaxEventLabels)
	}
	_ = e.Point("p").Inject(chaos.WithLabels(context.Background(), "big", huge))
	if len(got) != 1 || len(got[0].Value) != chaos.MaxLabelValue {
		t.Fatalf("event labels %d, value of %d bytes; want one of %d", len(got), len(got[0].Value), chaos.MaxLabelValue)
	}
	if unsafe.StringData(got[0].Value) == unsafe.StringData(huge) {
		t.Error("the cut value shares the original's memory")
	}
}

// TestRateZeroRulesCostNothing: rules that can never fire arm no point,
// however many there are.
func TestRateZeroRulesCostNothing(t *testing.T) {
	e := engineWith(t, strings.Repeat("*=0%error;", 999)+"*=0%error")
	if e.Point("x").Armed() || e.Armed() {
		t.Error("rules at rate 0 armed a point")
	}
}
