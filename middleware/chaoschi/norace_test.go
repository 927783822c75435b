//go:build !race

package chaoschi_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
