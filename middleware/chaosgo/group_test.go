package chaosgo_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgo"
)

func TestGroupZero(t *testing.T) {
	var g chaosgo.Group
	var n atomic.Int32
	for range 10 {
		g.Go(func() error { n.Add(1); return nil })
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v, want nil", err)
	}
	if n.Load() != 10 {
		t.Fatalf("%d goroutines ran, want 10", n.Load())
	}
	// A Group can be reused after Wait.
	g.Go(func() error { return errWork })
	if err := g.Wait(); !errors.Is(err, errWork) {
		t.Fatalf("Wait() = %v, want %v", err, errWork)
	}
}

func TestGroupErrors(t *testing.T) {
	tests := []struct {
		name     string
		fn       func() error
		want     error // matched with errors.Is
		panics   bool
		injected bool
	}{
		{name: "error", fn: func() error { return errWork }, want: errWork},
		{name: "panic", fn: func() error { panic("kaput") }, panics: true},
		{name: "panic with error", fn: func() error { panic(errWork) }, want: errWork, panics: true},
		{name: "panic nil", fn: func() error { panic(nil) }, panics: true},
		{name: "goexit", fn: func() error { runtime.Goexit(); return nil }, want: chaosgo.ErrGoexit},
		{name: "injected panic value", fn: func() error { panic(faults.NewInjectedError("x", faults.Panic("p"))) }, want: faults.ErrInjected, panics: true, injected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ctx := chaosgo.WithContext(context.Background())
			var others atomic.Int32
			for range 3 {
				g.Go(func() error {
					<-ctx.Done() // the failure below cancels the group
					others.Add(1)
					return nil
				})
			}
			g.Go(tt.fn)
			err := g.Wait()
			if err == nil {
				t.Fatal("Wait() = nil, want an error")
			}
			if others.Load() != 3 {
				t.Errorf("%d other goroutines finished, want 3", others.Load())
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Wait() = %v, want an error matching %v", err, tt.want)
			}
			if got := errors.Is(err, faults.ErrInjected); got != tt.injected {
				t.Errorf("errors.Is(err, faults.ErrInjected) = %v, want %v", got, tt.injected)
			}
			var pe *chaosgo.PanicError
			if got := errors.As(err, &pe); got != tt.panics {
				t.Fatalf("errors.As(%v, *PanicError) = %v, want %v", err, got, tt.panics)
			}
			if pe != nil && (pe.Point != "" || len(pe.Stack) == 0) {
				t.Errorf("PanicError{Point: %q, len(Stack): %d}, want no point and a stack", pe.Point, len(pe.Stack))
			}
			if cause := context.Cause(ctx); cause != err {
				t.Errorf("context.Cause(ctx) = %v, want the group's error %v", cause, err)
			}
		})
	}
}

func TestGroupWaitCancels(t *testing.T) {
	g, ctx := chaosgo.WithContext(context.Background())
	g.Go(func() error { return nil })
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == nil {
		t.Fatal("the group's context is not canceled after Wait")
	}
}

func TestGroupFirstError(t *testing.T) {
	// With a limit of 1 the goroutines run one after another in start
	// order, so the first error is the first one returned.
	rapid.Check(t, func(t *rapid.T) {
		outcomes := rapid.SliceOfN(rapid.IntRange(0, 2), 1, 20).Draw(t, "outcomes") // 0 ok, 1 error, 2 panic
		var g chaosgo.Group
		g.SetLimit(1)
		var ran atomic.Int32
		for i, o := range outcomes {
			g.Go(func() error {
				ran.Add(1)
				switch o {
				case 1:
					return fmt.Errorf("goroutine %d: %w", i, errWork)
				case 2:
					panic(i)
				}
				return nil
			})
		}
		err := g.Wait()
		if int(ran.Load()) != len(outcomes) {
			t.Fatalf("%d goroutines ran, want %d", ran.Load(), len(outcomes))
		}
		first := -1
		for i, o := range outcomes {
			if o != 0 {
				first = i
				break
			}
		}
		if first < 0 {
			if err != nil {
				t.Fatalf("Wait() = %v, want nil", err)
			}
			return
		}
		var pe *chaosgo.PanicError
		switch outcomes[first] {
		case 1:
			if want := fmt.Sprintf("goroutine %d: %v", first, errWork); err == nil || err.Error() != want {
				t.Fatalf("Wait() = %v, want %q", err, want)
			}
		case 2:
			if !errors.As(err, &pe) || pe.Value != first {
				t.Fatalf("Wait() = %v, want the panic of goroutine %d", err, first)
			}
		}
	})
}

func TestGroupGoPoint(t *testing.T) {
	tests := []struct {
		name     string
		plan     string
		wantRun  bool
		panics   bool
		injected bool
	}{
		{name: "no fault", plan: "worker=0%error", wantRun: true},
		{name: "error", plan: "worker=error(boom)", injected: true},
		{name: "panic", plan: "worker=panic(boom)", panics: true, injected: true},
		{name: "badconn", plan: "worker=badconn", injected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaostest.New(t)
			chaostest.Enable(t, e, tt.plan)
			g, ctx := chaosgo.WithContext(context.Background())
			var ran atomic.Bool
			g.GoPoint(ctx, e.Point("worker"), func() error { ran.Store(true); return nil })
			err := g.Wait()
			if ran.Load() != tt.wantRun {
				t.Errorf("fn ran = %v, want %v", ran.Load(), tt.wantRun)
			}
			if got := errors.Is(err, faults.ErrInjected); got != tt.injected {
				t.Errorf("Wait() = %v; matches faults.ErrInjected = %v, want %v", err, got, tt.injected)
			}
			var pe *chaosgo.PanicError
			if got := errors.As(err, &pe); got != tt.panics {
				t.Errorf("Wait() = %v; is a *PanicError = %v, want %v", err, got, tt.panics)
			}
			if pe != nil && pe.Point != "worker" {
				t.Errorf("PanicError.Point = %q, want worker", pe.Point)
			}
		})
	}
}

func TestGroupGoPointNilPoint(t *testing.T) {
	var g chaosgo.Group
	ran := g.TryGoPoint(context.Background(), nil, func() error { return errWork })
	if !ran {
		t.Fatal("TryGoPoint without a limit returned false")
	}
	if err := g.Wait(); !errors.Is(err, errWork) {
		t.Fatalf("Wait() = %v, want %v", err, errWork)
	}
}

// TestGroupLatencyGivesUp checks that a start delayed by a fault gives up
// as soon as another goroutine fails the group.
func TestGroupLatencyGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaostest.New(t)
		chaostest.Enable(t, e, "slow=delay(1h)")
		g, ctx := chaosgo.WithContext(t.Context())
		start := time.Now()
		var ran atomic.Bool
		g.GoPoint(ctx, e.Point("slow"), func() error { ran.Store(true); return nil })
		g.Go(func() error {
			time.Sleep(time.Second) // fake time in the bubble
			return errWork
		})
		err := g.Wait()
		if !errors.Is(err, errWork) {
			t.Errorf("Wait() = %v, want the first error %v", err, errWork)
		}
		if ran.Load() {
			t.Error("the delayed goroutine ran after the group failed")
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("Wait returned after %v, want 1s", d)
		}
	})
}

func TestGroupLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g chaosgo.Group
		g.SetLimit(2)
		release := make(chan struct{})
		var running, peak atomic.Int32
		work := func() error {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-release
			running.Add(-1)
			return nil
		}
		if !g.TryGo(work) || !g.TryGoPoint(t.Context(), nil, work) {
			t.Fatal("TryGo refused with free slots")
		}
		synctest.Wait()
		if g.TryGo(work) {
			t.Fatal("TryGo started a goroutine over the limit")
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 4 {
				g.Go(work) // waits for slots
			}
		}()
		synctest.Wait()
		if got := running.Load(); got != 2 {
			t.Fatalf("%d goroutines running, want 2", got)
		}
		close(release)
		<-done
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if got := peak.Load(); got != 2 {
			t.Errorf("at most %d goroutines ran at once, want 2", got)
		}
	})
}

// TestGroupSetLimitWhileRunning changes the limit while a goroutine runs,
// lifting it with zero (the default, no limit) or a negative n (none).
func TestGroupSetLimitWhileRunning(t *testing.T) {
	for _, noLimit := range []int{0, -1} {
		t.Run(fmt.Sprint("SetLimit(", noLimit, ")"), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var g chaosgo.Group
				g.SetLimit(1)
				release := make(chan struct{})
				g.Go(func() error { <-release; return nil })
				if g.TryGo(func() error { return nil }) {
					t.Fatal("TryGo went over a limit of 1")
				}
				g.SetLimit(noLimit)
				var wg sync.WaitGroup
				for range 5 {
					wg.Add(1)
					if !g.TryGo(func() error { wg.Done(); return nil }) {
						t.Fatal("TryGo refused without a limit")
					}
				}
				wg.Wait()
				g.SetLimit(1) // a new limit: the running goroutine holds none of its slots
				if !g.TryGo(func() error { return nil }) {
					t.Fatal("TryGo refused under a new limit with a free slot")
				}
				close(release)
				if err := g.Wait(); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
