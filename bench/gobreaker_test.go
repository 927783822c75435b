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
	measure(b, func() error {
		_, err := cb.Execute(okAny)
		return err
	})
}
