package chaosgo

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// run calls fn on the current goroutine after carrying out the decision d
// taken at point, and returns how fn ended. A panic, injected or raised by
// fn, is recovered into a *PanicError. If fn calls runtime.Goexit, run does
// not return, so its caller must assume ErrGoexit until run returns.
func run(ctx context.Context, point string, d chaos.Decision, fn func() error) (err error) {
	defer func() {
		// During runtime.Goexit recover returns nil and the result goes
		// nowhere, so only a panic lands here.
		if v := recover(); v != nil {
			err = &PanicError{Point: point, Value: v, Stack: debug.Stack()}
		}
	}()
	if d.Fired() {
		if err := d.Inject(ctx); err != nil {
			return startError(d, err)
		}
	}
	return fn()
}

// startError describes a start that a fault stopped. Latency and hang
// return the context's error; the error says which fault it cut short, so
// that it matches both faults.ErrInjected and the context's error.
func startError(d chaos.Decision, err error) error {
	switch d.Kind() {
	case faults.KindLatency, faults.KindHang:
		return fmt.Errorf("chaosgo: goroutine did not start: %w: %w", d.Err(), err)
	}
	return fmt.Errorf("chaosgo: goroutine did not start: %w", err)
}
