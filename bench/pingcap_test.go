package bench

import (
	"testing"

	"github.com/pingcap/failpoint"
)

// pingcapPath returns the failpoint path of a case. Code rewritten by
// failpoint-ctl builds the path as _curpkg_(name), the package path joined
// with the name; the benchmark hands Eval the finished string, which spares
// pingcap the concatenation.
func pingcapPath(c pointCase) string {
	return "github.com/faultline-go/faultline/bench/" + c.name
}

// pingcapPoint sets the case's term on its failpoint and returns the path.
// The disabled case is never enabled, so Eval finds no failpoint under its
// path: the state of every failpoint in a process that enables none.
func pingcapPoint(tb testing.TB, c pointCase) string {
	tb.Helper()
	path := pingcapPath(c)
	if c.pingcap != "" {
		if err := failpoint.Enable(path, c.pingcap); err != nil {
			tb.Fatalf("failpoint enable %s=%s: %v", path, c.pingcap, err)
		}
	}
	return path
}

// pingcapInject is what failpoint-ctl rewrites
//
//	failpoint.Inject("name", func(val failpoint.Value) { return errInjected })
//
// into (with a function literal body inlined), and also what code that calls
// failpoint.Eval without the rewriter writes.
func pingcapInject(path string) error {
	return boolTerm(failpoint.Eval(path))
}

// benchPingcapPoint measures failpoint.Eval for a path set up for case c.
func benchPingcapPoint(b *testing.B, c pointCase) {
	path := pingcapPoint(b, c)
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			if boolTerm(failpoint.Eval(path)) != nil {
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
				if boolTerm(failpoint.Eval(path)) != nil {
					n++
				}
			}
			sink.Add(n)
		})
	})
}
