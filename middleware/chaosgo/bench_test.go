package chaosgo_test

import (
	"context"
	"sync"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosgo"
)

// Each iteration starts one goroutine and waits for it, so that goroutines
// do not pile up and the figures measure one start and finish. The parallel
// variants share the engine, as the goroutines of a service do.

func nop() error { return nil }

// BenchmarkGoBare is the baseline: a go statement and a sync.WaitGroup.
func BenchmarkGoBare(b *testing.B) {
	bare := func() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = nop()
		}()
		wg.Wait()
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bare()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				bare()
			}
		})
	})
}

// BenchmarkGroupGo is a Group without a fault point: the cost of panic
// recovery and first-error bookkeeping over the baseline.
func BenchmarkGroupGo(b *testing.B) {
	b.ReportAllocs()
	var g chaosgo.Group
	for b.Loop() {
		g.Go(nop)
		_ = g.Wait()
	}
}

// BenchmarkGroupDisabled starts goroutines at a point no rule names: one
// atomic load over BenchmarkGroupGo.
func BenchmarkGroupDisabled(b *testing.B) {
	benchGroupPoint(b, chaos.New(chaos.WithSeed(1)).Point("worker"))
}

// BenchmarkGroupArmed1pct starts goroutines at a point armed with a 1%
// injected error. The Group keeps its first error; the later ones cost the
// same as successes.
func BenchmarkGroupArmed1pct(b *testing.B) {
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan("worker=1%error")); err != nil {
		b.Fatal(err)
	}
	benchGroupPoint(b, e.Point("worker"))
}

// benchGroupPoint starts goroutines in a Group at point p, and waits for
// each, serially and in parallel.
func benchGroupPoint(b *testing.B, p *chaos.Point) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		var g chaosgo.Group
		for b.Loop() {
			g.GoPoint(ctx, p, nop)
			_ = g.Wait()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var g chaosgo.Group
			for pb.Next() {
				g.GoPoint(ctx, p, nop)
				_ = g.Wait()
			}
		})
	})
}

// BenchmarkTaskDisabled starts a Task at a point no rule names and waits
// for it, against its baseline: a go statement and a channel.
func BenchmarkTaskDisabled(b *testing.B) {
	worker := chaos.New(chaos.WithSeed(1)).Point("worker")
	ctx := context.Background()
	work := func(context.Context) error { return nop() }
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			done := make(chan error, 1)
			go func() { done <- work(ctx) }()
			_ = <-done
		}
	})
	b.Run("task", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = chaosgo.Go(ctx, worker, work).Wait()
		}
	})
}

// TestDisabledPointAllocs holds a point no rule names at no allocation
// over a Group without points.
func TestDisabledPointAllocs(t *testing.T) {
	worker := chaos.New(chaos.WithSeed(1)).Point("worker")
	ctx := context.Background()
	var g chaosgo.Group
	plain := testing.AllocsPerRun(1000, func() {
		g.Go(nop)
		_ = g.Wait()
	})
	point := testing.AllocsPerRun(1000, func() {
		g.GoPoint(ctx, worker, nop)
		_ = g.Wait()
	})
	if point != plain {
		t.Errorf("GoPoint at a disabled point: %v allocations per goroutine, Go: %v; want the same", point, plain)
	}
}
