package chaosfx

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/fx/fxtest"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// stuckSource ignores its context until released, as a source blocked in
// a call without a deadline would.
type stuckSource struct{ release chan struct{} }

func (stuckSource) Name() string { return "stuck" }

func (s stuckSource) Watch(context.Context, func(source.Update)) error {
	<-s.release
	return nil
}

// The stop hook gives up when its context ends, and the runner still
// finishes once its source returns.
func TestStopHonoursItsContext(t *testing.T) {
	src := stuckSource{release: make(chan struct{})}
	s := newSources(fxtest.NewLifecycle(t), chaos.New(chaos.WithSeed(1)), in{Config: Config{Sources: []source.Source{src}}})
	if err := s.start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.start(t.Context()); !errors.Is(err, source.ErrRunning) {
		t.Errorf("second start = %v, want ErrRunning", err)
	}
	done := s.done

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.stop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("stop = %v, want context.Canceled", err)
	}
	close(src.release)
	<-done // the runner and its waiter have returned: nothing leaks
	if err := s.stop(t.Context()); err != nil {
		t.Errorf("stop after stop = %v, want nil", err)
	}
}

func TestZeroSources(t *testing.T) {
	var s *Sources
	if st := s.Status(); st != nil {
		t.Errorf("nil Sources: Status() = %v", st)
	}
	s = &Sources{}
	if st := s.Status(); st != nil {
		t.Errorf("zero Sources: Status() = %v", st)
	}
	if err := s.stop(t.Context()); err != nil {
		t.Errorf("stop before start = %v", err)
	}
}
