package bench

import (
	"testing"

	"github.com/sony/gobreaker"
)

// newGobreaker returns a gobreaker set as faultline's default: it opens after
// 5 consecutive failures and stays open 60s (gobreaker's own default opens
// after more than 5).
func newGobreaker() *gobreaker.CircuitBreaker {
	return gobreaker.NewCircuitBreaker(gobreaker.Settings{
		Name:        "bench",
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 5 },
	})
}

// benchGobreaker measures gobreaker.CircuitBreaker.Execute on the success
// path.
func benchGobreaker(b *testing.B) {
	cb := newGobreaker()
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			if _, err := cb.Execute(okAny); err != nil {
				n++
			}
		}
		sink.Add(n)
	})
	b.Run("mode=parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var n int64
			for pb.Next() {
				if _, err := cb.Execute(okAny); err != nil {
					n++
				}
			}
			sink.Add(n)
		})
	})
}
