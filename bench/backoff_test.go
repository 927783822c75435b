package bench

import (
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// newBackoff returns the backoff of one call, set as faultline's zero Retry:
// 3 attempts, waits from 100ms doubling up to 10s with jitter 0.5, no bound
// on the elapsed time (backoff's defaults are 500ms, ×1.5 and 15 minutes).
// An ExponentialBackOff holds the state of one retry loop and is not safe for
// concurrent use, so each call needs its own.
func newBackoff() backoff.BackOff {
	return backoff.WithMaxRetries(backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(100*time.Millisecond),
		backoff.WithMultiplier(2),
		backoff.WithMaxInterval(10*time.Second),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxElapsedTime(0),
	), 2)
}

// benchBackoffRetry measures backoff.Retry with a new backoff per call.
func benchBackoffRetry(b *testing.B) {
	measure(b, func() error { return backoff.Retry(okErr, newBackoff()) })
}
