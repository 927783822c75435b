package chaos_test

import (
	"errors"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

func TestApplyUnlessDisabled(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	p := chaos.MustParsePlan("x=error")
	if err := e.Apply(p, chaos.UnlessDisabled()); err != nil {
		t.Fatalf("Apply on a live engine: %v", err)
	}
	e.Disable()
	if err := e.Apply(p, chaos.UnlessDisabled(), chaos.FromSource("monkey")); !errors.Is(err, chaos.ErrDisabled) {
		t.Fatalf("Apply after Disable = %v, want ErrDisabled", err)
	}
	if !e.Disabled() || len(e.Plan().Rules) != 0 || e.Point("x").Inject(t.Context()) != nil {
		t.Fatal("a refused Apply changed the engine")
	}
	// An operator's Apply, without the option, turns the engine back on.
	if err := e.Apply(p); err != nil || e.Disabled() {
		t.Fatalf("Apply = %v, disabled %v", err, e.Disabled())
	}
}

func TestNilEnginePoint(t *testing.T) {
	var e *chaos.Engine
	p := e.Point("x")
	if p != nil || p.Inject(t.Context()) != nil || p.Decide(t.Context()).Fired() {
		t.Fatal("a nil engine's point is not an inert nil point")
	}
}
