package bench

import (
	"sync/atomic"
	"testing"
)

// benchFloor measures a bare atomic.Pointer load and nil check, through
// measure as every row is, so that the floor carries the same harness.
func benchFloor(b *testing.B) {
	type target struct{ x int }
	var ptr atomic.Pointer[target]
	measure(b, func() error {
		if ptr.Load() != nil {
			return errInjected
		}
		return nil
	})
}
