package chaos

import (
	"testing"
	"time"
)

// TestKillSwitchNeverWaits: Disable, Disabled, Active and Stats return
// while an Apply holds every engine lock it takes.
func TestKillSwitchNeverWaits(t *testing.T) {
	e := New(WithSeed(1))
	if err := e.Apply(MustParsePlan("p=error")); err != nil {
		t.Fatal(err)
	}
	p := e.Point("p")
	e.applyMu.Lock()
	e.mu.Lock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Disable("test")
		_ = e.Stats()
		if !e.Active().Disabled || !e.Disabled() || p.Inject(t.Context()) != nil {
			t.Error("the kill switch did not take effect while the engine was locked")
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("the kill switch waited for the engine's locks")
	}
	e.mu.Unlock()
	e.applyMu.Unlock()
	<-done
}
