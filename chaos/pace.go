package chaos

import (
	"github.com/faultline-go/faultline/internal/mix"
)

// SetRateScale scales the rate of every rule by s, clamped to [0,1]: 1
// (the default) fires at the rates of the plan as applied, 0 fires
// nothing, 0.5 at half of each rate. It is for pacing, which lowers the
// rate of an always-on plan as the service's error budget burns and raises
// it again as it recovers: the scale only ever lowers rates below the
// plan's and the policy's, holds across Applies until changed, and keeps
// every point's counts (Times, After, Every). It takes effect at once at
// every point, without a lock on the calls' path.
func (e *Engine) SetRateScale(s float64) {
	if !(s > 0) { // NaN too
		s = 0
	}
	s = min(s, 1)
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	e.mu.Lock() // no point is made meanwhile with the old scale
	defer e.mu.Unlock()
	e.scale.Store(&s)
	e.points.Range(func(_, v any) bool {
		if b := v.(*Point).loadBinding(); b != nil {
			for i := range b.rules {
				r := &b.rules[i]
				r.threshold.Store(mix.Threshold(r.rate * s))
			}
		}
		return true
	})
}

// RateScale returns the scale [Engine.SetRateScale] set; 1 by default.
func (e *Engine) RateScale() float64 { return e.pace() }

func (e *Engine) pace() float64 {
	if s := e.scale.Load(); s != nil {
		return *s
	}
	return 1
}
