package chaos_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// TestScalableCounts: an engine that counts on striped sequences still
// counts every evaluation and every fire exactly, fires at the rule's
// rate, and keeps Times exact.
func TestScalableCounts(t *testing.T) {
	e := chaos.New(chaos.WithSeed(3), chaos.WithDeterministic(false))
	if err := e.Apply(chaos.MustParsePlan("rate=10%error;capped=5*error")); err != nil {
		t.Fatal(err)
	}
	rate, capped := e.Point("rate"), e.Point("capped")
	const workers, calls = 8, 20_000
	var fired, cappedFired atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			ctx := context.Background()
			for range calls {
				if rate.Inject(ctx) != nil {
					fired.Add(1)
				}
				if capped.Inject(ctx) != nil {
					cappedFired.Add(1)
				}
			}
		})
	}
	wg.Wait()
	s := e.Stats()
	for _, ps := range s.Points {
		if ps.Evaluations != workers*calls {
			t.Errorf("%s: %d evaluations counted, want %d", ps.Point, ps.Evaluations, workers*calls)
		}
	}
	if got := s.Points[1].ByKind[faults.KindError]; got != uint64(fired.Load()) {
		t.Errorf("stats count %d fires, the calls saw %d", got, fired.Load())
	}
	// 10% of 160,000 calls: the 99.9% binomial interval is about ±390.
	if n := fired.Load(); n < 15_600 || n > 16_400 {
		t.Errorf("%d of %d calls fired, want about 10%%", n, workers*calls)
	}
	if n := cappedFired.Load(); n != 5 {
		t.Errorf("a 5*error rule fired %d times across goroutines, want exactly 5", n)
	}
	if got := s.Rules[0].Fired; got != uint64(fired.Load()) {
		t.Errorf("rule stats count %d fires, want %d", got, fired.Load())
	}
}

// TestDeterministicByDefaultWithSeed: a seeded engine replays call for
// call; WithDeterministic(false) overrides it, in either order.
func TestDeterministicByDefaultWithSeed(t *testing.T) {
	run := func(opts ...chaos.Option) []bool {
		e := chaos.New(opts...)
		if err := e.Apply(chaos.MustParsePlan("p=30%error")); err != nil {
			t.Fatal(err)
		}
		p := e.Point("p")
		out := make([]bool, 200)
		for i := range out {
			out[i] = p.Inject(context.Background()) != nil
		}
		return out
	}
	a, b := run(chaos.WithSeed(9)), run(chaos.WithSeed(9))
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("two seeded runs differ at call %d", i+1)
		}
	}
	// The first call's sequence number shows the mode: 1 on the exact
	// sequence; on stripes, the stripe's count shifted left by the stripe
	// bits, so at least 2 when there are two stripes or more.
	first := func(opts ...chaos.Option) uint64 {
		e := chaos.New(opts...)
		if err := e.Apply(chaos.MustParsePlan("p=error")); err != nil {
			t.Fatal(err)
		}
		return e.Point("p").Decide(context.Background()).Seq()
	}
	if got := first(chaos.WithSeed(9)); got != 1 {
		t.Errorf("a seeded engine's first call has sequence %d, want 1", got)
	}
	if runtime.GOMAXPROCS(0) < 2 {
		return // one stripe: both modes number calls alike
	}
	for _, opts := range [][]chaos.Option{
		{chaos.WithSeed(9), chaos.WithDeterministic(false)},
		{chaos.WithDeterministic(false), chaos.WithSeed(9)},
		{},
	} {
		if got := first(opts...); got < 2 {
			t.Errorf("a scalable engine's first call has sequence %d, want a striped id", got)
		}
	}
}
