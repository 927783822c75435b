package chaostest

import (
	"context"
	"fmt"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// The backoff between two reads of the counters while waiting.
const (
	waitFirst = 100 * time.Microsecond
	waitMost  = 10 * time.Millisecond
)

// WaitEvaluated waits until point p has been evaluated at
// least n times, as [chaos.PointStats].Evaluations counts them: calls made
// while a rule named the point, since the point was made (the count does
// not restart with a new plan, so read it first to wait for n more). It
// reads p's counters ([chaos.Point.Stats]) with a short backoff, 100µs growing to 10ms, so a
// test needs no sleep of its own; inside a testing/synctest bubble the
// backoff passes in fake time. It returns nil once the count is reached,
// or an error matching ctx.Err() when ctx ends first.
func WaitEvaluated(ctx context.Context, p *chaos.Point, n uint64) error {
	return waitCount(ctx, p, n, "evaluated", func(ps chaos.PointStats) uint64 { return ps.Evaluations })
}

// WaitFired is [WaitEvaluated] for the faults p injected, of every kind
// ([chaos.PointStats].Fired).
func WaitFired(ctx context.Context, p *chaos.Point, n uint64) error {
	return waitCount(ctx, p, n, "fired", func(ps chaos.PointStats) uint64 { return ps.Fired })
}

func waitCount(ctx context.Context, p *chaos.Point, n uint64, what string, count func(chaos.PointStats) uint64) error {
	for d := waitFirst; ; d = min(2*d, waitMost) {
		got := count(p.Stats())
		if got >= n {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("chaostest: waiting for point %q to be %s %d times (%d so far): %w", p.Name(), what, n, got, ctx.Err())
		case <-t.C:
		}
	}
}
