package chaos_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"pgregory.net/rapid"
)

// TestPause: a paused call waits for Release, the kill switch, its
// context or its bound, whichever comes first, and Paused counts it.
func TestPause(t *testing.T) {
	tests := []struct {
		name  string
		plan  string
		end   func(p *chaos.Point, e *chaos.Engine, cancel context.CancelFunc)
		after time.Duration // fake time the call took
		want  func(error) bool
	}{
		{"release", "p=pause", func(p *chaos.Point, _ *chaos.Engine, _ context.CancelFunc) { p.Release() }, 0,
			func(err error) bool { return err == nil }},
		{"kill switch", "p=pause", func(_ *chaos.Point, e *chaos.Engine, _ context.CancelFunc) { e.Disable("test") }, 0,
			func(err error) bool { return err == nil }},
		{"context", "p=pause", func(_ *chaos.Point, _ *chaos.Engine, cancel context.CancelFunc) { cancel() }, 0,
			func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"bound", "p=pause(30s)", func(*chaos.Point, *chaos.Engine, context.CancelFunc) {}, 30 * time.Second,
			func(err error) bool { return errors.Is(err, faults.ErrInjected) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := engineWith(t, tt.plan)
				p := e.Point("p")
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				start := time.Now()
				done := make(chan error, 1)
				go func() { done <- p.Inject(ctx) }()
				synctest.Wait()
				if n := p.Paused(); n != 1 {
					t.Fatalf("Paused() = %d while the call waits, want 1", n)
				}
				tt.end(p, e, cancel)
				err := <-done
				if !tt.want(err) {
					t.Errorf("Inject = %v", err)
				}
				if took := time.Since(start); took != tt.after {
					t.Errorf("the call took %v, want %v", took, tt.after)
				}
				if n := p.Paused(); n != 0 {
					t.Errorf("Paused() = %d after the call, want 0", n)
				}
			})
		})
	}
}

// TestPauseDrivesARace holds one goroutine at a point while another
// writes, the deterministic interleaving a pause is for.
func TestPauseDrivesARace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engineWith(t, "read=1*pause")
		p := e.Point("read")
		var shared string
		got := make(chan string)
		go func() {
			_ = p.Inject(context.Background()) // held here
			got <- shared
		}()
		synctest.Wait()
		shared = "written while the reader was paused"
		p.Release()
		if s := <-got; s != "written while the reader was paused" {
			t.Errorf("reader saw %q", s)
		}
		if err := p.Inject(context.Background()); err != nil { // 1*: spent
			t.Errorf("second call: %v", err)
		}
	})
}

// TestSqueeze: InjectContext hands on a context whose deadline is the
// squeeze's; cancel cancels it; Inject, which cannot, fails as the call
// would once its deadline passed.
func TestSqueeze(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := engineWith(t, "p=squeeze(10ms)").Point("p")
		ctx, err := p.InjectContext(context.Background())
		if err != nil {
			t.Fatalf("InjectContext: %v", err)
		}
		if dl, ok := ctx.Deadline(); !ok || dl.Sub(time.Now()) != 10*time.Millisecond {
			t.Fatalf("deadline %v, %v; want 10ms from now", dl, ok)
		}
		<-ctx.Done()
		if cause := context.Cause(ctx); !errors.Is(cause, faults.ErrInjected) || !errors.Is(cause, context.DeadlineExceeded) {
			t.Errorf("cause %v, want an injected deadline", cause)
		}
		// An earlier deadline of the caller's own is kept.
		own, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		if got, _ := p.InjectContext(own); got != own {
			t.Errorf("a context ending sooner was replaced")
		}
		start := time.Now()
		if err := p.Inject(context.Background()); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 10*time.Millisecond {
			t.Errorf("Inject = %v after %v, want a deadline after 10ms", err, time.Since(start))
		}
	})
	p := engineWith(t, "p=cancel").Point("p")
	ctx, err := p.InjectContext(context.Background())
	if err != nil || !errors.Is(ctx.Err(), context.Canceled) || !errors.Is(context.Cause(ctx), faults.ErrInjected) {
		t.Errorf("cancel: ctx.Err() = %v, cause %v, err %v", ctx.Err(), context.Cause(ctx), err)
	}
	if err := p.Inject(context.Background()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancel: Inject = %v", err)
	}
	// Other kinds and disarmed points hand ctx on unchanged.
	bg := context.Background()
	if got, err := engineWith(t, "p=error").Point("p").InjectContext(bg); got != bg || !errors.Is(err, faults.ErrInjected) {
		t.Errorf("error fault: %v, %v", got, err)
	}
	if got, err := engineWith(t, "q=error").Point("p").InjectContext(bg); got != bg || err != nil {
		t.Errorf("disarmed: %v, %v", got, err)
	}
}

// TestCustom: a registered fault runs its function at the point, and its
// error comes back wrapped; the policy allows it by kind and by name.
func TestCustom(t *testing.T) {
	p := engineWith(t, "p=custom(chaostest.fake)").Point("p")
	err := p.Inject(context.Background())
	if !errors.Is(err, errFake) || !errors.Is(err, faults.ErrInjected) {
		t.Errorf("Inject = %v, want the function's error, injected", err)
	}
	if _, err := chaos.ParsePlan("p=chaostest.fake"); err != nil {
		t.Errorf("bare name: %v", err)
	}
	if _, err := chaos.ParsePlan("p=custom(nobody.registered)"); !errors.Is(err, chaos.ErrInvalidPlan) {
		t.Errorf("unregistered name: %v", err)
	}
	pol := []struct {
		name   string
		policy chaos.Policy
		ok     bool
	}{
		{"no policy", chaos.Policy{}, true},
		{"kind allowed", chaos.Policy{Kinds: []faults.Kind{faults.KindError, faults.KindCustom}}, true},
		{"kind not allowed", chaos.Policy{Kinds: []faults.Kind{faults.KindError}}, false},
		{"name allowed", chaos.Policy{Custom: []string{"chaostest.fake"}}, true},
		{"name not allowed", chaos.Policy{Custom: []string{"chaostest.closeconn"}}, false},
	}
	for _, tt := range pol {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(tt.policy))
			err := e.Apply(chaos.MustParsePlan("p=error|custom(chaostest.fake)"))
			if (err == nil) != tt.ok {
				t.Errorf("Apply = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestChoices: a rule picks among its choices by weight, the same for the
// same seed, and never picks one that is off.
func TestChoices(t *testing.T) {
	const n = 20000
	counts := func(seed uint64) map[faults.Kind]int {
		e := chaos.New(chaos.WithSeed(seed))
		if err := e.Apply(chaos.MustParsePlan("p=error@3|abort|corrupt@-1")); err != nil {
			t.Fatal(err)
		}
		p := e.Point("p")
		c := map[faults.Kind]int{}
		for range n {
			c[p.Decide(context.Background()).Kind()]++
		}
		return c
	}
	c := counts(7)
	if c[faults.KindCorrupt] != 0 || c[faults.KindError]+c[faults.KindAbort] != n {
		t.Fatalf("counts %v", c)
	}
	if share := float64(c[faults.KindError]) / n; math.Abs(share-0.75) > 0.02 {
		t.Errorf("error share %.3f, want 0.75", share)
	}
	again := counts(7)
	if again[faults.KindError] != c[faults.KindError] {
		t.Errorf("same seed, different picks: %v then %v", c, again)
	}
}

// TestDistributionPolicy: a drawn latency is capped by its Max, else by
// the policy's MaxLatency, and the policy refuses a location or a cap
// above its limit.
func TestDistributionPolicy(t *testing.T) {
	tests := []struct {
		plan    string
		max     time.Duration
		wantErr bool
		cap     time.Duration
	}{
		{"p=delay(pareto(50ms,0.2))", 0, false, faults.DefaultHangLimit},
		{"p=delay(pareto(50ms,0.2))", time.Second, false, time.Second},
		{"p=delay(pareto(50ms,0.2,300ms))", time.Second, false, 300 * time.Millisecond},
		{"p=delay(pareto(50ms,0.2,3s))", time.Second, true, 0},
		{"p=delay(normal(2s,1ms))", time.Second, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.plan, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(3), chaos.WithPolicy(chaos.Policy{MaxLatency: tt.max}))
			err := e.Apply(chaos.MustParsePlan(tt.plan))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Apply = %v", err)
			}
			if err != nil {
				return
			}
			p := e.Point("p")
			var longest time.Duration
			for range 2000 {
				longest = max(longest, p.Decide(context.Background()).Delay())
			}
			if longest != tt.cap {
				t.Errorf("longest delay %v, want the cap %v (alpha 0.2 reaches it)", longest, tt.cap)
			}
		})
	}
}

// TestPropNewFormsDeterministic: for any seed, two engines with the same
// plan of choices and drawn latencies decide the same, call for call.
func TestPropNewFormsDeterministic(t *testing.T) {
	plan := chaos.MustParsePlan("p=delay(lognormal(100ms,0.5))@2|delay(normal(200ms,50ms))|error")
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		calls := rapid.IntRange(1, 50).Draw(t, "calls")
		a, b := chaos.New(chaos.WithSeed(seed)), chaos.New(chaos.WithSeed(seed))
		for _, e := range []*chaos.Engine{a, b} {
			if err := e.Apply(plan); err != nil {
				t.Fatal(err)
			}
		}
		pa, pb := a.Point("p"), b.Point("p")
		for i := range calls {
			da, db := pa.Decide(context.Background()), pb.Decide(context.Background())
			if da.Fault() != db.Fault() || da.Delay() != db.Delay() || da.Delay() < 0 {
				t.Fatalf("call %d: %v %v, then %v %v", i, da.Fault(), da.Delay(), db.Fault(), db.Delay())
			}
		}
	})
}
