package chaos_test

import (
	"errors"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

func TestEngineRestore(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	empty := e.Active()
	if err := e.Apply(chaos.MustParsePlan("x=error"), chaos.FromSource("file")); err != nil {
		t.Fatal(err)
	}
	withPlan := e.Active()
	e.Disable("test")
	killed := e.Active()

	if err := e.Restore(withPlan); !errors.Is(err, chaos.ErrDisabled) || !e.Disabled() {
		t.Errorf("Restore while the kill switch is thrown: err %v, disabled %v", err, e.Disabled())
	}
	e.Rearm("test")
	if err := e.Restore(withPlan); err != nil || e.Disabled() || e.Plan().String() != "x=error" || e.Active().Source != "file" {
		t.Errorf("Restore(plan): err %v, disabled %v, plan %q from %q", err, e.Disabled(), e.Plan(), e.Active().Source)
	}
	if err := e.Restore(killed); err != nil || !e.Disabled() {
		t.Errorf("Restore(killed): err %v, disabled %v", err, e.Disabled())
	}
	e.Rearm("test")
	if err := e.Restore(empty); err != nil || e.Disabled() || len(e.Plan().Rules) != 0 {
		t.Errorf("Restore(empty): err %v, disabled %v, plan %q", err, e.Disabled(), e.Plan())
	}

	// A plan the engine's policy now refuses is not restored: the kill
	// switch is thrown instead.
	strict := chaos.New(chaos.WithPolicy(chaos.Policy{MaxRules: 0, Kinds: nil, MaxRate: 0.5}))
	if err := strict.Restore(withPlan); err == nil || !strict.Disabled() {
		t.Errorf("Restore of a refused plan: err %v, disabled %v", err, strict.Disabled())
	}
}
