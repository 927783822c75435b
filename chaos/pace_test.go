package chaos_test

import (
	"context"
	"math"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

// TestSetRateScale: the scale lowers every rule's rate at once, holds
// across Applies, never raises a rate, and keeps the points' counts.
func TestSetRateScale(t *testing.T) {
	e := engineWith(t, "p=50%error;capped=3*error")
	p, capped := e.Point("p"), e.Point("capped")
	share := func(n int) float64 {
		fired := 0
		for range n {
			if p.Inject(context.Background()) != nil {
				fired++
			}
		}
		return float64(fired) / float64(n)
	}
	ctx := context.Background()
	if capped.Inject(ctx) == nil {
		t.Fatal("the capped rule did not fire")
	}
	for _, tt := range []struct {
		scale, want float64
	}{
		{1, 0.5}, {0.5, 0.25}, {0, 0}, {math.NaN(), 0}, {-3, 0}, {7, 0.5}, {0.2, 0.1},
	} {
		e.SetRateScale(tt.scale)
		if got := share(20_000); math.Abs(got-tt.want) > 0.02 {
			t.Errorf("scale %v: %.3f of calls fired, want about %v", tt.scale, got, tt.want)
		}
	}
	if got := e.RateScale(); got != 0.2 {
		t.Errorf("RateScale() = %v, want 0.2", got)
	}
	e.SetRateScale(1)
	// Times kept its count: two fires left, not three.
	n := 0
	for range 10 {
		if capped.Inject(ctx) != nil {
			n++
		}
	}
	if n != 2 {
		t.Errorf("the capped rule fired %d more times after rescaling, want 2", n)
	}
	// The scale holds across an Apply, and applies to points made later.
	e.SetRateScale(0)
	if err := e.Apply(chaos.MustParsePlan("*=error")); err != nil {
		t.Fatal(err)
	}
	if e.Point("new").Inject(ctx) != nil || p.Inject(ctx) != nil {
		t.Error("a rule fired at scale 0 after an Apply")
	}
}
