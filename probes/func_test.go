package probes_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/probes"
	"github.com/google/go-cmp/cmp"
)

func TestFunc(t *testing.T) {
	errDown := errors.New("queue: consumer down")
	errShed := errors.New("load shed")
	tests := []struct {
		name string
		fn   func(ctx context.Context) error
		ctx  func() (context.Context, context.CancelFunc)
		want probes.Result
	}{
		{
			name: "ok",
			fn:   func(context.Context) error { time.Sleep(3 * time.Millisecond); return nil },
			want: probes.Result{Probe: "p", OK: true, Observed: "ok in 3ms", Duration: 3 * time.Millisecond},
		},
		{
			name: "error",
			fn:   func(context.Context) error { time.Sleep(time.Second); return errDown },
			want: probes.Result{Probe: "p", Observed: "failed in 1s", Err: "queue: consumer down", Duration: time.Second},
		},
		{
			name: "wrapped error keeps its text",
			fn:   func(context.Context) error { return fmt.Errorf("check queue: %w", errDown) },
			want: probes.Result{Probe: "p", Observed: "failed in 0s", Err: "check queue: queue: consumer down"},
		},
		{
			name: "ctx cancelled before the check",
			fn:   func(context.Context) error { panic("must not run") },
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			want: probes.Result{Probe: "p", Observed: "not checked", Err: "context canceled"},
		},
		{
			name: "ctx cancelled with a cause",
			fn:   func(context.Context) error { return nil },
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancelCause(context.Background())
				cancel(errShed)
				return ctx, func() {}
			},
			want: probes.Result{Probe: "p", Observed: "not checked", Err: "load shed"},
		},
		{
			name: "ctx deadline during the check",
			fn: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 250*time.Millisecond)
			},
			want: probes.Result{Probe: "p", Observed: "failed in 250ms", Err: "context deadline exceeded", Duration: 250 * time.Millisecond},
		},
		{
			name: "panic becomes a failure",
			fn:   func(context.Context) error { panic("boom") },
			want: probes.Result{Probe: "p", Observed: "failed in 0s", Err: "probes: panic: boom"},
		},
		{
			name: "nil func",
			want: probes.Result{Probe: "p", Observed: "not checked", Err: "probes: nil func"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tt.ctx != nil {
					ctx, cancel = tt.ctx()
				}
				defer cancel()
				p := probes.Func("p", tt.fn)
				if p.Name() != "p" {
					t.Errorf("Name() = %q, want %q", p.Name(), "p")
				}
				got := p.Check(ctx)
				if diff := cmp.Diff(tt.want, got, proseOnly); diff != "" {
					t.Errorf("Check() mismatch (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestFuncConcurrent checks one Func probe from many goroutines.
func TestFuncConcurrent(t *testing.T) {
	p := probes.Func("p", func(context.Context) error { return nil })
	done := make(chan probes.Result)
	for range 8 {
		go func() { done <- p.Check(context.Background()) }()
	}
	for range 8 {
		if r := <-done; !r.OK {
			t.Errorf("Check() = %+v, want OK", r)
		}
	}
}
