package chaos

import "github.com/faultline-go/faultline/internal/mix"

// InCohort reports whether key is in a cohort of the given share of keys.
// It makes the draw a rule with Rule.Sticky makes for a label value: it
// depends only on the engine's seed and the key, so a key stays in or out
// for as long as the seed does, and a sticky rule at rate share (unscaled
// by the policy) fires for exactly the keys InCohort reports. A share of 0
// or less holds no key, and 1 or more holds every key. It is safe for
// concurrent use.
//
// Game days (package gameday) use it to route each call's outcome to the
// experiment or the control cohort's SLI window.
func (e *Engine) InCohort(key string, share float64) bool {
	return mix.Below(mix.Mix(stickyKey(e.seed)^mix.String(key)), mix.Threshold(share))
}
