package bench

import (
	"testing"

	gofail "go.etcd.io/gofail/runtime"
)

// gofailPoints holds one failpoint per case. gofail registers a name once
// per process (a second NewFailpoint of the same name panics), as the
// package variables its code generator writes do, so they live here rather
// than in the benchmark.
var gofailPoints = map[string]*gofail.Failpoint{
	"disabled":  gofail.NewFailpoint("bench/disabled"),
	"armed1pct": gofail.NewFailpoint("bench/armed1pct"),
	"fire":      gofail.NewFailpoint("bench/fire"),
}

// gofailPoint sets the case's term on its failpoint (or clears it) and
// returns the failpoint.
func gofailPoint(tb testing.TB, c pointCase) *gofail.Failpoint {
	tb.Helper()
	name := "bench/" + c.name
	if c.gofail == "" {
		// ErrDisabled only says it was off already.
		_ = gofail.Disable(name)
	} else if err := gofail.Enable(name, c.gofail); err != nil {
		tb.Fatalf("gofail enable %s=%s: %v", name, c.gofail, err)
	}
	return gofailPoints[c.name]
}

// gofailInject is what gofail's code generator writes for
//
//	// gofail: var name bool
//	// return errInjected
//
// minus the goto to BadType on a wrongly typed value.
func gofailInject(fp *gofail.Failpoint) error {
	return boolTerm(fp.Acquire())
}

// benchGofailPoint measures a gofail failpoint set up for case c.
func benchGofailPoint(b *testing.B, c pointCase) {
	fp := gofailPoint(b, c)
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			if boolTerm(fp.Acquire()) != nil {
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
				if boolTerm(fp.Acquire()) != nil {
					n++
				}
			}
			sink.Add(n)
		})
	})
}
