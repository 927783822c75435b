package bench

import (
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
)

// newFailsafeBreaker returns an executor with a circuit breaker set as
// faultline's default: open after 5 consecutive failures, for 60s. The
// executor is built once and shared, as failsafe-go allows.
func newFailsafeBreaker() failsafe.Executor[any] {
	cb := circuitbreaker.NewBuilder[any]().
		WithFailureThreshold(5).
		WithDelay(time.Minute).
		Build()
	return failsafe.With[any](cb)
}

// newFailsafeRetry returns an executor with a retry policy set as faultline's
// zero Retry: 3 attempts, backoff from 100ms to 10s, jitter factor 0.5.
func newFailsafeRetry() failsafe.Executor[any] {
	rp := retrypolicy.NewBuilder[any]().
		WithMaxAttempts(3).
		WithBackoff(100*time.Millisecond, 10*time.Second).
		WithJitterFactor(0.5).
		Build()
	return failsafe.With[any](rp)
}

// benchFailsafeBreaker measures a failsafe-go circuit breaker.
func benchFailsafeBreaker(b *testing.B) {
	benchFailsafe(b, newFailsafeBreaker())
}

// benchFailsafeRetry measures a failsafe-go retry policy.
func benchFailsafeRetry(b *testing.B) {
	benchFailsafe(b, newFailsafeRetry())
}

// benchFailsafe runs a successful op through ex, serially and in parallel.
func benchFailsafe(b *testing.B, ex failsafe.Executor[any]) {
	measure(b, func() error { return ex.Run(okErr) })
}
