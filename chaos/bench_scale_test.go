package chaos_test

import (
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

// BenchmarkArmedModes compares the two ways a point counts its calls
// (chaos.WithDeterministic), armed at 1% and not firing and always firing,
// serially and in parallel; run it with -cpu 1,2 to see how each scales.
// The baseline is the disabled point.
func BenchmarkArmedModes(b *testing.B) {
	for _, mode := range []struct {
		name  string
		exact bool
	}{{"deterministic", true}, {"scalable", false}} {
		for _, plan := range []struct{ name, text string }{
			{"disabled", ""},
			{"armed-1pct", "bench=1%error"},
			{"firing", "bench=error"},
		} {
			e := chaos.New(chaos.WithSeed(1), chaos.WithDeterministic(mode.exact))
			p := e.Point("bench")
			if plan.text != "" {
				if err := e.Apply(chaos.MustParsePlan(plan.text)); err != nil {
					b.Fatal(err)
				}
			}
			b.Run(mode.name+"/"+plan.name, func(b *testing.B) { benchInject(b, p) })
		}
	}
}
