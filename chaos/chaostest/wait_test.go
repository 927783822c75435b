package chaostest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
)

// TestWait: the waits return once a goroutine has made the calls, at the
// fake time it made them, and with the context's error when they never
// come.
func TestWait(t *testing.T) {
	tests := []struct {
		name    string
		wait    func(ctx context.Context, p *chaos.Point, n uint64) error
		n       uint64
		wantErr error
		wantAt  time.Duration
	}{
		{"evaluated", chaostest.WaitEvaluated, 4, nil, 4 * time.Second},
		{"fired", chaostest.WaitFired, 2, nil, 2 * time.Second},
		{"evaluated already", chaostest.WaitEvaluated, 0, nil, 0},
		{"evaluated never", chaostest.WaitEvaluated, 6, context.DeadlineExceeded, time.Minute},
		{"fired never", chaostest.WaitFired, 3, context.DeadlineExceeded, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := chaos.New(chaos.WithSeed(1))
				if err := e.Apply(chaos.MustParsePlan("a=2*error")); err != nil {
					t.Fatal(err)
				}
				p := e.Point("a")
				done := make(chan struct{})
				defer func() { <-done }()
				go func() { // five calls, one a second
					defer close(done)
					for range 5 {
						_ = faults.Sleep(context.Background(), time.Second)
						_ = p.Inject(context.Background())
					}
				}()
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				start := time.Now()
				err := tt.wait(ctx, p, tt.n)
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("wait = %v, want %v", err, tt.wantErr)
				}
				// The backoff is at most 10ms: the wait returns that
				// soon after the count is reached.
				if at := time.Since(start); at < tt.wantAt || at > tt.wantAt+10*time.Millisecond {
					t.Errorf("returned after %v, want %v", at, tt.wantAt)
				}
			})
		})
	}
}
