package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// checkBinomial fails t unless k successes in n trials lie within the
// 99.9% (two-sided, normal approximation) interval of a binomial with
// probability p.
func checkBinomial(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	const z = 3.2905 // 99.9% two-sided
	mean := float64(n) * p
	half := z * math.Sqrt(float64(n)*p*(1-p))
	if math.Abs(float64(k)-mean) > half {
		t.Errorf("%s: %d of %d, want %.0f ± %.1f (99.9%% interval)", what, k, n, mean, half)
	}
}

// TestObservedRate: over 100,000 calls the share of calls that fire is
// within a 99.9% binomial interval of the rate, for several rates and
// seeds.
func TestObservedRate(t *testing.T) {
	const n = 100_000
	for _, rate := range []string{"0.1%", "1%", "10%", "50%", "90%"} {
		for _, seed := range []uint64{1, 42} {
			t.Run(fmt.Sprintf("%s/seed=%d", rate, seed), func(t *testing.T) {
				e := engineWithSeed(t, seed, "p="+rate+"error")
				p := e.Point("p")
				fired := 0
				for range n {
					if p.Decide(context.Background()).Fired() {
						fired++
					}
				}
				var want float64
				fmt.Sscanf(rate, "%g%%", &want)
				checkBinomial(t, "fired", fired, n, want/100)
				if s := e.Stats().Points[0]; s.Fired != uint64(fired) || s.Evaluations != n {
					t.Errorf("Stats = %+v, want %d fired of %d", s, fired, n)
				}
			})
		}
	}
}

// TestTimesExactUnderContention: times=N fires exactly N times however
// many goroutines race for it.
func TestTimesExactUnderContention(t *testing.T) {
	for _, plan := range []string{"p=1000*error", "p=50%1000*error", "p=1*error", "p=1000*error[every=2]"} {
		t.Run(plan, func(t *testing.T) {
			e := engineWith(t, plan)
			p := e.Point("p")
			const goroutines, calls = 64, 200
			var fired atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range goroutines {
				wg.Go(func() {
					<-start
					for range calls {
						if err := p.Inject(context.Background()); errors.Is(err, faults.ErrInjected) {
							fired.Add(1)
						}
					}
				})
			}
			close(start)
			wg.Wait()
			want := int64(1000)
			if plan == "p=1*error" {
				want = 1
			}
			if got := fired.Load(); got != want {
				t.Errorf("fired %d times, want exactly %d", got, want)
			}
			s := e.Stats()
			if s.Points[0].Fired != uint64(want) || s.Points[0].ByKind[faults.KindError] != uint64(want) ||
				s.Rules[0].Fired != uint64(want) || s.Points[0].Evaluations != goroutines*calls {
				t.Errorf("Stats = %+v", s)
			}
		})
	}
}

// engineWithSeed is engineWith with another seed.
func engineWithSeed(t testing.TB, seed uint64, plan string) *chaos.Engine {
	t.Helper()
	return engineWith(t, plan, chaos.WithSeed(seed))
}
