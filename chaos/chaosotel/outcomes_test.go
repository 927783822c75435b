package chaosotel_test

import (
	"context"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaosotel"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// TestOutcomeCounters checks faultline.injections.absorbed and .escaped
// through a real SDK meter provider, with the counts made by real retries
// over real faults: per point, and only for points resilience code
// reported on.
func TestOutcomeCounters(t *testing.T) {
	mp, reader := metrics(t)
	e := chaos.New(chaos.WithSeed(1))
	instrument(t, e, mp)
	if err := e.Apply(chaos.MustParsePlan("db.query=2*error;cache=error;bare=error")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	retry := func(n int) resilience.Retry { return resilience.Retry{MaxAttempts: n, InitialInterval: -1} }

	checkSums(t, reader, chaosotel.AbsorbedMetric, map[string]int64{})
	if err := retry(3).Run(ctx, e.Point("db.query").Inject); err != nil {
		t.Fatalf("db.query: %v, want the third attempt to succeed", err)
	}
	if err := retry(2).Run(ctx, e.Point("cache").Inject); err == nil {
		t.Fatal("cache: nil, want the retry to give up")
	}
	_ = e.Point("bare").Inject(ctx) // no resilience code: in neither count

	checkSums(t, reader, chaosotel.AbsorbedMetric, map[string]int64{
		"faultline.point=db.query": 2,
		"faultline.point=cache":    0,
	})
	checkSums(t, reader, chaosotel.EscapedMetric, map[string]int64{
		"faultline.point=db.query": 0,
		"faultline.point=cache":    2,
	})
	checkSums(t, reader, chaosotel.InjectionsMetric, map[string]int64{
		"faultline.dry_run=false,faultline.fault.kind=error,faultline.point=db.query": 2,
		"faultline.dry_run=false,faultline.fault.kind=error,faultline.point=cache":    2,
		"faultline.dry_run=false,faultline.fault.kind=error,faultline.point=bare":     1,
	})
}
