package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// sink keeps the compiler from discarding the benchmarked calls: every loop
// counts what it saw and adds the count here once.
var sink atomic.Int64

// errInjected is the error the gofail and pingcap rows return when their
// failpoint fires, as a hand-written `return errInjected` in the failpoint's
// body would. Faultline returns its own precomputed injected error.
var errInjected = errors.New("bench: injected")

// boolTerm is the body the failpoint libraries' generated code runs on
// what a failpoint evaluates to: when it is enabled (err is nil) with a
// bool term, the hand-written `return errInjected`. It is small enough to
// be inlined, as the generated code is.
func boolTerm(v any, err error) error {
	if err == nil {
		if _, ok := v.(bool); ok {
			return errInjected
		}
	}
	return nil
}

// pointCase is one workload for a fault point.
type pointCase struct {
	// name is the case= part of the benchmark name.
	name string
	// faultline is the plan text for the faultline engine; the point is
	// called "bench".
	faultline string
	// gofail and pingcap are the failpoint terms for the two failpoint
	// libraries; empty means the point is left disabled. gofail needs a
	// float before "%": it reads "1%" as the count 1 and rejects the term.
	gofail, pingcap string
	// fires is the share of calls that should fire, for TestPointPeers.
	fires float64
}

// pointCases are the three workloads every fault-point library runs.
var pointCases = []pointCase{
	// A point in the code that no rule names: the production case.
	{name: "disabled", faultline: "other=error(boom)", fires: 0},
	// A point armed at 1%: 99 calls in 100 decide not to fire.
	{name: "armed1pct", faultline: "bench=1%error(boom)", gofail: "1.0%return(true)", pingcap: "1%return(true)", fires: 0.01},
	// A point that fires an error on every call.
	{name: "fire", faultline: "bench=error(boom)", gofail: "return(true)", pingcap: "return(true)", fires: 1},
}

// The ops run under the resilience policies: they succeed at once, so the
// rows measure the policies' success path. They are plain functions, so no
// closure is allocated per call.
func okCtx(context.Context) error { return nil }
func okErr() error                { return nil }
func okAny() (any, error)         { return nil, nil }

// measure is the harness of the resilience rows, which cost tens to
// hundreds of nanoseconds: sub-benchmarks mode=serial and mode=parallel,
// each calling call in a loop, counting the errors into sink and reporting
// allocations. Its indirect call costs 1-3 ns, which is noise there; the
// fault-point rows, which cost a few nanoseconds, are plain loops instead
// (see benchFloor).
func measure(b *testing.B, call func() error) {
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			if call() != nil {
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
				if call() != nil {
					n++
				}
			}
			sink.Add(n)
		})
	})
}
