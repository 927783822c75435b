//go:build !race

package chaosecho_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
