// Package wait holds the timed waits that faultline's packages share.
package wait

import (
	"context"
	"time"
)

// For waits d, or until ctx is done or stop is closed (a nil stop never
// is), and reports whether the whole of d passed. A d of 0 or less passes
// at once unless ctx is already done. It uses a timer, so testing/synctest
// controls it.
func For(ctx context.Context, d time.Duration, stop <-chan struct{}) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-stop:
	}
	return false
}

// Every calls f every d until ctx is done. d must be positive.
func Every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
