package bench

import (
	"sync/atomic"
	"testing"
)

// benchFloor measures a bare atomic.Pointer load and nil check.
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
