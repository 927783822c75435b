package resilience

import (
	"context"
	"errors"
	"testing"
	"time"
)

// testContext returns t.Context() with a deadline timeout from now (none
// for 0), canceled after cancelAt (never for 0). Call it inside the
// synctest bubble whose clock it should follow.
func testContext(t *testing.T, timeout, cancelAt time.Duration) context.Context {
	t.Helper()
	ctx := t.Context()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		t.Cleanup(cancel)
	}
	if cancelAt > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		t.Cleanup(cancel)
		time.AfterFunc(cancelAt, cancel)
	}
	return ctx
}

// checkErrors fails t unless err matches every error in is, and none in
// isNot, with errors.Is.
func checkErrors(t *testing.T, err error, is, isNot []error) {
	t.Helper()
	for _, want := range is {
		if !errors.Is(err, want) {
			t.Errorf("Run = %v, want it to match %v", err, want)
		}
	}
	for _, not := range isNot {
		if errors.Is(err, not) {
			t.Errorf("Run = %v, want it not to match %v", err, not)
		}
	}
}
