//go:build !race

package chaosgin_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
