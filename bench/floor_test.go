package bench

import (
	"sync/atomic"
	"testing"
)

// benchFloor measures a bare atomic.Pointer load and nil check. Like every
// fault-point row, it is a plain loop around the call, with nothing else in
// the loop but the error count every row keeps: a shared harness taking the
// call as a function value would add an indirect call (1-3 ns, as much as
// the disabled rows themselves) and measure itself.
func benchFloor(b *testing.B) {
	type target struct{ x int }
	var ptr atomic.Pointer[target]
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			if ptr.Load() != nil {
				n++
			}
		}
		sink.Add(n)
	})
	b.Run("mode=parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var n int64
			for pb.Next() {
				if ptr.Load() != nil {
					n++
				}
			}
			sink.Add(n)
		})
	})
}
