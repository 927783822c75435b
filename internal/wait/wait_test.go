package wait_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/internal/wait"
)

func TestFor(t *testing.T) {
	tests := []struct {
		name     string
		d        time.Duration
		cancelAt time.Duration // 0: never
		stopAt   time.Duration // 0: never
		want     bool
		took     time.Duration
	}{
		{name: "elapses", d: time.Second, want: true, took: time.Second},
		{name: "zero", d: 0, want: true},
		{name: "negative", d: -time.Second, want: true},
		{name: "context first", d: time.Hour, cancelAt: 2 * time.Second, took: 2 * time.Second},
		{name: "stop first", d: time.Hour, stopAt: 3 * time.Second, took: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				stop := make(chan struct{})
				if tt.cancelAt > 0 {
					time.AfterFunc(tt.cancelAt, cancel)
				}
				if tt.stopAt > 0 {
					time.AfterFunc(tt.stopAt, func() { close(stop) })
				}
				start := time.Now()
				if got := wait.For(ctx, tt.d, stop); got != tt.want {
					t.Errorf("For = %v, want %v", got, tt.want)
				}
				if took := time.Since(start); took != tt.took {
					t.Errorf("took %v, want %v", took, tt.took)
				}
			})
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if wait.For(ctx, 0, nil) {
		t.Error("For on a done context reported the wait passed")
	}
}
