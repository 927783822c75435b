package chaos_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

// sink keeps the compiler from discarding the benchmarked calls.
var sink atomic.Int64

// benchEngine returns an engine with plan applied and the point "bench".
func benchEngine(b *testing.B, plan string) *chaos.Point {
	b.Helper()
	e := chaos.New(chaos.WithSeed(1), chaos.WithInstance("bench"))
	p := e.Point("bench")
	if plan != "" {
		if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// benchInject runs p.Inject serially and in parallel, counting the errors so
// the work cannot be optimised away.
func benchInject(b *testing.B, p *chaos.Point) { benchInjectUnder(b, p, context.Background()) }

// BenchmarkBaselineAtomicLoad is the floor the disabled path is held to: a
// bare atomic.Pointer load and nil check.
func BenchmarkBaselineAtomicLoad(b *testing.B) {
	type target struct{ x int }
	var ptr atomic.Pointer[target]
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			if ptr.Load() != nil {
				n++
			}
		}
		sink.Add(n)
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var n int64
			for pb.Next() {
				if ptr.Load() != nil {
					n++
				}
			}
			sink.Add(n)
		})
	})
}

// BenchmarkPointDisabled measures a point no rule names.
func BenchmarkPointDisabled(b *testing.B) {
	benchInject(b, benchEngine(b, "other=error"))
}

// BenchmarkPointArmed1pct measures a point with an error rule at rate 1%:
// 99% of calls decide not to fire, 1% fire.
func BenchmarkPointArmed1pct(b *testing.B) {
	benchInject(b, benchEngine(b, "bench=1%error(boom)"))
}

// BenchmarkPointFire measures a point that fires an error on every call.
func BenchmarkPointFire(b *testing.B) {
	benchInject(b, benchEngine(b, "bench=error(boom)"))
}
