//go:build race

package chaosecho_test

// raceEnabled reports whether the race detector is on. It makes sync.Pool,
// which the routers use for their contexts, drop items at random, so
// allocation counts are not exact under it.
const raceEnabled = true
