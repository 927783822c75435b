package resilience_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/middleware/resilience"
)

// With a seeded Rand, the waits replay exactly, stay within the jitter band,
// and depend on the seed.
func TestRetrySeededJitter(t *testing.T) {
	waits := func(seed uint64) []time.Duration {
		var got []time.Duration
		synctest.Test(t, func(t *testing.T) {
			r := resilience.Retry{
				MaxAttempts: 6,
				Rand:        rand.New(rand.NewPCG(seed, 0)).Float64,
				OnRetry:     func(_ int, _ error, wait time.Duration) { got = append(got, wait) },
			}
			start := time.Now()
			err := r.Run(context.Background(), func(context.Context) error { return errors.New("down") })
			if err == nil {
				t.Fatal("Run succeeded")
			}
			var total time.Duration
			for _, w := range got {
				total += w
			}
			if elapsed := time.Since(start); elapsed != total {
				t.Errorf("slept %v, announced %v", elapsed, total)
			}
		})
		return got
	}
	a, b, c := waits(1), waits(1), waits(2)
	if len(a) != 5 {
		t.Fatalf("%d waits, want 5", len(a))
	}
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different waits: %v and %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 1 and 2 gave the same waits %v", a)
	}
	base := resilience.DefaultInitialInterval
	for i, w := range a {
		lo := time.Duration(float64(base) * (1 - resilience.DefaultJitter))
		hi := time.Duration(float64(base) * (1 + resilience.DefaultJitter))
		if w < lo || w > hi {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, w, lo, hi)
		}
		base *= 2
	}
}
