package chaos_test

import (
	"context"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

// TestZeroAllocs holds the per-call paths to no allocation: a point no
// rule names, an armed point that does not fire, and a point that fires a
// precomputed error.
func TestZeroAllocs(t *testing.T) {
	ctx := context.Background()
	labelled := chaos.WithLabels(ctx, "tenant", "acme")
	label := chaos.Label{Key: "tenant", Value: "other"}
	tests := []struct {
		name string
		plan string
		call func(p *chaos.Point)
	}{
		{"disabled/Inject", "other=error", func(p *chaos.Point) { _ = p.Inject(ctx) }},
		{"disabled/Decide", "other=error", func(p *chaos.Point) { _ = p.Decide(ctx) }},
		{"disabled/DecideLabels", "other=error", func(p *chaos.Point) { _ = p.DecideLabels(ctx, label) }},
		{"armed not firing/Inject", "p=0%error", func(p *chaos.Point) { _ = p.Inject(ctx) }},
		{"armed not firing/Decide", "p=0%error", func(p *chaos.Point) { _ = p.Decide(ctx) }},
		{"armed 1%/Inject", "p=1%error", func(p *chaos.Point) { _ = p.Inject(ctx) }},
		{"armed label mismatch/Decide", "p=error[label.tenant=acme]", func(p *chaos.Point) { _ = p.Decide(chaos.WithLabels(ctx)) }},
		{"armed label mismatch/DecideLabels", "p=error[label.tenant=acme]", func(p *chaos.Point) { _ = p.DecideLabels(ctx, label) }},
		{"armed sticky out/DecideLabels", "p=0%error[sticky=tenant]", func(p *chaos.Point) { _ = p.DecideLabels(ctx, label) }},
		{"firing error/Inject", "p=error(boom)", func(p *chaos.Point) { _ = p.Inject(ctx) }},
		{"firing error/Decide", "p=error(boom)", func(p *chaos.Point) { _ = p.Decide(ctx).Err() }},
		{"firing status/Decide", "p=status(503)", func(p *chaos.Point) { _ = p.Decide(ctx) }},
		{"firing with labels/Decide", "p=error[label.tenant=acme]", func(p *chaos.Point) { _ = p.Decide(labelled) }},
		{"firing with labels/DecideLabels", "p=error[label.tenant=other]", func(p *chaos.Point) { _ = p.DecideLabels(ctx, label) }},
		{"firing capped out/Inject", "p=1*error", func(p *chaos.Point) { _ = p.Inject(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := engineWith(t, tt.plan).Point("p")
			if n := testing.AllocsPerRun(1000, func() { tt.call(p) }); n != 0 {
				t.Errorf("%v allocations per call, want 0", n)
			}
		})
	}
	t.Run("nil point", func(t *testing.T) {
		var p *chaos.Point
		if n := testing.AllocsPerRun(100, func() { _ = p.Inject(ctx) }); n != 0 {
			t.Errorf("%v allocations per call, want 0", n)
		}
	})
}
