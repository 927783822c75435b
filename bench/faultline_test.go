package bench

import (
	"context"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// faultlinePoint returns the point "bench" of an engine set up as in
// production, with the case's plan applied. It keeps its seed, for rates
// that do not move between runs, but counts calls on striped sequences
// (chaos.WithDeterministic(false)), the default of an engine without a
// seed: what a service runs.
func faultlinePoint(tb testing.TB, c pointCase) *chaos.Point {
	tb.Helper()
	e := chaos.New(chaos.WithSeed(1), chaos.WithDeterministic(false), chaos.WithInstance("bench"))
	p := e.Point("bench")
	if err := e.Apply(chaos.MustParsePlan(c.faultline)); err != nil {
		tb.Fatalf("apply %q: %v", c.faultline, err)
	}
	return p
}

// faultlineInject is the call a service writes at a faultline point.
func faultlineInject(ctx context.Context, p *chaos.Point) error {
	return p.Inject(ctx)
}

// benchFaultlinePoint measures p.Inject at a point set up for case c, in
// plain loops as benchFloor says.
func benchFaultlinePoint(b *testing.B, c pointCase) {
	p := faultlinePoint(b, c)
	ctx := context.Background()
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			if p.Inject(ctx) != nil {
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
				if p.Inject(ctx) != nil {
					n++
				}
			}
			sink.Add(n)
		})
	})
}

// newFaultlineBreaker returns a breaker with the defaults: it opens after 5
// consecutive failures and stays open 60s.
func newFaultlineBreaker() *resilience.Breaker {
	return resilience.NewBreaker("bench")
}

// benchFaultlineBreaker measures resilience.Breaker.Run on the success path.
func benchFaultlineBreaker(b *testing.B) {
	br := newFaultlineBreaker()
	ctx := context.Background()
	measure(b, func() error { return br.Run(ctx, okCtx) })
}

// faultlineRetry makes 3 attempts, waiting 100ms then 200ms with jitter 0.5:
// the zero Retry.
var faultlineRetry = resilience.Retry{}

// benchFaultlineRetry measures resilience.Retry.Run on the success path.
func benchFaultlineRetry(b *testing.B) {
	ctx := context.Background()
	measure(b, func() error { return faultlineRetry.Run(ctx, okCtx) })
}
