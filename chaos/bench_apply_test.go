package chaos_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

// BenchmarkApplyLargePlan applies the largest plan allowed, every rule a
// glob on "*", over 1,000 points: the worst an Apply costs. The baseline
// applies a one-rule plan to the same points. heap-B reports the live heap
// the applied plan holds.
func BenchmarkApplyLargePlan(b *testing.B) {
	large := chaos.MustParsePlan(strings.Repeat("*=1%error;", chaos.MaxPlanRules-1) + "*=1%error")
	for _, bc := range []struct {
		name string
		plan chaos.Plan
	}{
		{"baseline-1-rule", chaos.MustParsePlan("*=1%error")},
		{"max-rules", large},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			e := chaos.New(chaos.WithSeed(1))
			for i := range 1000 {
				e.Point("p" + strconv.Itoa(i))
			}
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for b.Loop() {
				if err := e.Apply(bc.plan); err != nil {
					b.Fatal(err)
				}
			}
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "heap-B")
		})
	}
}

// BenchmarkInjectManyRules evaluates a point that the largest plan allowed
// names with rules that never fire for it (their label never matches),
// against a point with one such rule.
func BenchmarkInjectManyRules(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1, chaos.MaxPlanRules} {
		b.Run(strconv.Itoa(n)+"-rules", func(b *testing.B) {
			b.ReportAllocs()
			e := chaos.New(chaos.WithSeed(1))
			plan := strings.Repeat("*=error[label.tenant=none];", n-1) + "*=error[label.tenant=none]"
			if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
				b.Fatal(err)
			}
			p := e.Point("p")
			for b.Loop() {
				_ = p.Inject(ctx)
			}
		})
	}
}
