package probes_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faultline-go/faultline/probes"
)

// BenchmarkBaselineAtomicAdd is the floor for BenchmarkWindowRecord: one
// bare atomic add on a shared counter, which Record also does.
func BenchmarkBaselineAtomicAdd(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Uint64
		for b.Loop() {
			n.Add(1)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n.Add(1)
			}
		})
	})
}

func BenchmarkWindowRecord(b *testing.B) {
	windows := []struct {
		name string
		w    func() *probes.SampleWindow
	}{
		{"plain", func() *probes.SampleWindow { return probes.NewSampleWindow(1024) }},
		{"max-age", func() *probes.SampleWindow { return probes.NewSampleWindow(1024, probes.WithMaxAge(time.Minute)) }},
	}
	for _, tt := range windows {
		b.Run(tt.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			w := tt.w()
			for b.Loop() {
				w.Record(true, time.Millisecond)
			}
		})
		b.Run(tt.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			w := tt.w()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w.Record(true, time.Millisecond)
				}
			})
		})
	}
	b.Run("observe/serial", func(b *testing.B) {
		b.ReportAllocs()
		w := probes.NewSampleWindow(1024)
		start := time.Now()
		for b.Loop() {
			w.Observe(start, nil)
		}
	})
}

func BenchmarkWindowSnapshot(b *testing.B) {
	for _, size := range []int{1024, 16384} {
		for _, aged := range []bool{false, true} {
			name := strconv.Itoa(size)
			var opts []probes.SampleWindowOption
			if aged {
				name += "/max-age"
				opts = append(opts, probes.WithMaxAge(time.Hour))
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				w := probes.NewSampleWindow(size, opts...)
				for i := range size {
					w.Record(i%100 != 0, time.Duration(i*7919%size)*time.Microsecond)
				}
				for b.Loop() {
					w.Snapshot()
				}
			})
		}
	}
}
