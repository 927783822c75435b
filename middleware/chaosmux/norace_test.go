//go:build !race

package chaosmux_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
