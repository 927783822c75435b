package chaosgo_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgo"
)

var errWork = errors.New("work failed")

func TestGo(t *testing.T) {
	tests := []struct {
		name     string
		plan     string // empty: no plan
		fn       func(context.Context) error
		wantRun  bool
		wantErr  error // matched with errors.Is; nil means no error
		injected bool  // the error matches faults.ErrInjected
		panics   bool  // the error is a *PanicError
		other    bool  // evaluate the point "other" too, which the plan names
	}{
		{name: "no plan", fn: ok, wantRun: true},
		{name: "no plan, error", fn: fail, wantRun: true, wantErr: errWork},
		{name: "error fault", plan: "worker=error(boom)", fn: ok, wantErr: faults.ErrInjected, injected: true},
		{name: "abort fault", plan: "worker=abort", fn: ok, wantErr: syscall.ECONNRESET, injected: true},
		{name: "status fault", plan: "worker=status(503)", fn: ok, wantErr: faults.ErrInjected, injected: true},
		{name: "panic fault", plan: "worker=panic(boom)", fn: ok, wantErr: faults.ErrInjected, injected: true, panics: true},
		{name: "latency fault", plan: "worker=delay(1ms)", fn: ok, wantRun: true},
		{name: "fault at another point", plan: "other=error", fn: ok, wantRun: true, other: true},
		{name: "real panic", fn: func(context.Context) error { panic("kaput") }, wantRun: true, panics: true},
		{name: "real panic with error", fn: func(context.Context) error { panic(errWork) }, wantRun: true, wantErr: errWork, panics: true},
		{name: "goexit", fn: func(context.Context) error { runtime.Goexit(); return nil }, wantRun: true, wantErr: chaosgo.ErrGoexit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaostest.New(t)
			if tt.plan != "" {
				chaostest.Enable(t, e, tt.plan)
			}
			if tt.other {
				_ = e.Point("other").Inject(context.Background())
			}
			var ran atomic.Bool
			task := chaosgo.Go(context.Background(), e.Point("worker"), func(ctx context.Context) error {
				ran.Store(true)
				return tt.fn(ctx)
			})
			err := task.Wait()
			if got := ran.Load(); got != tt.wantRun {
				t.Errorf("fn ran = %v, want %v", got, tt.wantRun)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Wait() = %v, want an error matching %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && !tt.panics && err != nil {
				t.Errorf("Wait() = %v, want nil", err)
			}
			if got := errors.Is(err, faults.ErrInjected); got != tt.injected {
				t.Errorf("errors.Is(%v, faults.ErrInjected) = %v, want %v", err, got, tt.injected)
			}
			var pe *chaosgo.PanicError
			if got := errors.As(err, &pe); got != tt.panics {
				t.Fatalf("errors.As(%v, *PanicError) = %v, want %v", err, got, tt.panics)
			}
			if pe != nil {
				if pe.Point != "worker" {
					t.Errorf("PanicError.Point = %q, want worker", pe.Point)
				}
				if len(pe.Stack) == 0 {
					t.Error("PanicError.Stack is empty")
				}
				if !strings.Contains(err.Error(), "panicked") {
					t.Errorf("Error() = %q, want it to say the goroutine panicked", err)
				}
			}
			select {
			case <-task.Done():
			default:
				t.Error("Done() is not closed after Wait returned")
			}
			if again := task.Wait(); again != err {
				t.Errorf("second Wait() = %v, want %v", again, err)
			}
		})
	}
}

func ok(context.Context) error   { return nil }
func fail(context.Context) error { return errWork }

func TestGoNilPoint(t *testing.T) {
	task := chaosgo.Go(context.Background(), nil, fail)
	if err := task.Wait(); !errors.Is(err, errWork) {
		t.Fatalf("Wait() = %v, want %v", err, errWork)
	}
}

func TestGoPanicStack(t *testing.T) {
	task := chaosgo.Go(context.Background(), chaos.New().Point("worker"), panicker)
	var pe *chaosgo.PanicError
	if err := task.Wait(); !errors.As(err, &pe) {
		t.Fatalf("Wait() = %v, want a *PanicError", err)
	}
	if !strings.Contains(string(pe.Stack), "panicker") {
		t.Errorf("stack does not name the panicking function:\n%s", pe.Stack)
	}
	if pe.Value != "deep down" {
		t.Errorf("Value = %v, want %q", pe.Value, "deep down")
	}
	if want := "chaosgo: goroutine at worker panicked: deep down"; pe.Error() != want {
		t.Errorf("Error() = %q, want %q", pe.Error(), want)
	}
}

func panicker(context.Context) error { panic("deep down") }

func TestGoLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaostest.New(t)
		chaostest.Enable(t, e, "worker=delay(2s)")
		start := time.Now()
		var ranAt time.Time
		task := chaosgo.Go(t.Context(), e.Point("worker"), func(context.Context) error {
			ranAt = time.Now()
			return nil
		})
		if d := time.Since(start); d != 0 {
			t.Errorf("Go blocked for %v; the delay belongs to the goroutine", d)
		}
		if err := task.Wait(); err != nil {
			t.Fatalf("Wait() = %v", err)
		}
		if d := ranAt.Sub(start); d != 2*time.Second {
			t.Errorf("fn started after %v, want 2s", d)
		}
	})
}

func TestGoStartCutShort(t *testing.T) {
	tests := []struct {
		plan string
		kind faults.Kind
	}{
		{"worker=delay(1h)", faults.KindLatency},
		{"worker=hang", faults.KindHang},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := chaostest.New(t)
				chaostest.Enable(t, e, tt.plan)
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				start := time.Now()
				var ran atomic.Bool
				err := chaosgo.Go(ctx, e.Point("worker"), func(context.Context) error {
					ran.Store(true)
					return nil
				}).Wait()
				if ran.Load() {
					t.Error("fn ran after its start was cut short")
				}
				if d := time.Since(start); d != time.Second {
					t.Errorf("gave up after %v, want 1s (the context's deadline)", d)
				}
				if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, faults.ErrInjected) {
					t.Errorf("Wait() = %v, want it to match context.DeadlineExceeded and faults.ErrInjected", err)
				}
				var ie *faults.InjectedError
				if !errors.As(err, &ie) || ie.Fault.Kind != tt.kind || ie.Point != "worker" {
					t.Errorf("Wait() = %v, want an *InjectedError for %v at worker", err, tt.kind)
				}
			})
		})
	}
}

// TestGoDecidesOnCaller proves that the decision, and so the observer call
// with the caller's context, happens before Go returns.
func TestGoDecidesOnCaller(t *testing.T) {
	type key struct{}
	var seen atomic.Value
	e := chaostest.New(t, chaos.WithObserver(chaos.ObserverFunc(func(ctx context.Context, ev chaos.Event) {
		seen.Store(ctx.Value(key{}))
	})))
	chaostest.Enable(t, e, "worker=error")
	ctx := context.WithValue(context.Background(), key{}, "caller")
	task := chaosgo.Go(ctx, e.Point("worker"), ok)
	if got := seen.Load(); got != "caller" {
		t.Errorf("observer saw %v before Go returned, want the caller's context", got)
	}
	_ = task.Wait()
}
