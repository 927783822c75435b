package bench

import (
	"context"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// faultlinePoint returns the point "bench" of a seeded engine with the case's
// plan applied.
func faultlinePoint(tb testing.TB, c pointCase) *chaos.Point {
	tb.Helper()
	e := chaos.New(chaos.WithSeed(1), chaos.WithInstance("bench"))
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

// benchFaultlinePoint measures p.Inject at a point set up for case c.
func benchFaultlinePoint(b *testing.B, c pointCase) {
	p := faultlinePoint(b, c)
	ctx := context.Background()
	measure(b, func() error { return faultlineInject(ctx, p) })
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
