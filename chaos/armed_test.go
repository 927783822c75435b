package chaos_test

import (
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

func TestEngineArmed(t *testing.T) {
	var nilEngine *chaos.Engine
	if nilEngine.Armed() || new(chaos.Engine).Armed() {
		t.Fatal("a nil or zero engine is armed")
	}
	e := chaos.New(chaos.WithSeed(1), chaos.WithInstance("a"))
	steps := []struct {
		name string
		do   func() error
		want bool
	}{
		{"new", func() error { return nil }, false},
		{"plan with a rule", func() error { return e.Apply(chaos.MustParsePlan("x=error")) }, true},
		{"kill switch", func() error { e.Disable("test"); return nil }, false},
		{"rearm", func() error { e.Rearm("test"); return nil }, false},
		{"plan again", func() error { return e.Apply(chaos.MustParsePlan("x=1%error")) }, true},
		{"rules that never fire", func() error { return e.Apply(chaos.MustParsePlan("x=0%error;y=0%delay(1s)")) }, false},
		{"empty plan", func() error { return e.Apply(chaos.Plan{}) }, false},
		{"rule for no instance here", func() error {
			return e.Apply(chaos.MustParsePlan("x=error[instances=0.0000001%]"))
		}, false},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := e.Armed(); got != s.want {
			t.Errorf("after %s: Armed() = %v, want %v", s.name, got, s.want)
		}
	}
}
