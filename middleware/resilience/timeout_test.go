package resilience

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"
)

// sleepOp returns an op that takes d and then returns err; if honor is set it
// returns ctx's error early when ctx ends.
func sleepOp(d time.Duration, honor bool, err error) func(context.Context) error {
	return func(ctx context.Context) error {
		if !honor {
			time.Sleep(d)
			return err
		}
		select {
		case <-time.After(d):
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func TestTimeout(t *testing.T) {
	tests := []struct {
		name      string
		timeout   Timeout
		op        func(context.Context) error
		parentTO  time.Duration // parent context timeout; 0 means none
		cancelAt  time.Duration // cancel the parent after this long; 0 means never
		wantErr   []error       // all must match; nil means success
		wantNotIs []error
		wantTime  time.Duration
	}{
		{name: "fast op", timeout: Timeout{Duration: time.Second}, op: sleepOp(time.Millisecond, true, nil), wantTime: time.Millisecond},
		{name: "fast op error", timeout: Timeout{Duration: time.Second}, op: sleepOp(time.Millisecond, true, errBoom), wantErr: []error{errBoom}, wantNotIs: []error{ErrTimeout}, wantTime: time.Millisecond},
		{name: "slow op honoring ctx", timeout: Timeout{Duration: time.Second}, op: sleepOp(time.Hour, true, nil), wantErr: []error{ErrTimeout, context.DeadlineExceeded}, wantTime: time.Second},
		{name: "slow op ignoring ctx returns at deadline", timeout: Timeout{Duration: time.Second}, op: sleepOp(time.Hour, false, nil), wantErr: []error{ErrTimeout}, wantTime: time.Second},
		{name: "inline slow op honoring ctx", timeout: Timeout{Duration: time.Second, Inline: true}, op: sleepOp(time.Hour, true, nil), wantErr: []error{ErrTimeout, context.DeadlineExceeded}, wantTime: time.Second},
		{name: "inline waits for op ignoring ctx", timeout: Timeout{Duration: time.Second, Inline: true}, op: sleepOp(time.Hour, false, errBoom), wantErr: []error{ErrTimeout, errBoom}, wantTime: time.Hour},
		{name: "inline late success is success", timeout: Timeout{Duration: time.Second, Inline: true}, op: sleepOp(time.Hour, false, nil), wantTime: time.Hour},
		{name: "zero duration runs op directly", timeout: Timeout{}, op: sleepOp(time.Hour, true, nil), wantTime: time.Hour},
		{name: "negative duration runs op directly", timeout: Timeout{Duration: -time.Second}, op: sleepOp(time.Hour, true, nil), wantTime: time.Hour},
		{
			name: "parent deadline first is not a Timeout", timeout: Timeout{Duration: time.Second}, op: sleepOp(time.Hour, true, nil), parentTO: 100 * time.Millisecond,
			wantErr: []error{context.DeadlineExceeded}, wantNotIs: []error{ErrTimeout}, wantTime: 100 * time.Millisecond,
		},
		{
			name: "inline parent deadline first", timeout: Timeout{Duration: time.Second, Inline: true}, op: sleepOp(time.Hour, true, nil), parentTO: 100 * time.Millisecond,
			wantErr: []error{context.DeadlineExceeded}, wantNotIs: []error{ErrTimeout}, wantTime: 100 * time.Millisecond,
		},
		{
			name: "parent canceled", timeout: Timeout{Duration: time.Second}, op: sleepOp(time.Hour, false, nil), cancelAt: 100 * time.Millisecond,
			wantErr: []error{context.Canceled}, wantNotIs: []error{ErrTimeout}, wantTime: 100 * time.Millisecond,
		},
		{
			name: "inline parent canceled, op fails", timeout: Timeout{Duration: time.Second, Inline: true}, op: sleepOp(200*time.Millisecond, false, errBoom), cancelAt: 100 * time.Millisecond,
			wantErr: []error{context.Canceled, errBoom}, wantNotIs: []error{ErrTimeout}, wantTime: 200 * time.Millisecond,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := testContext(t, tc.parentTO, tc.cancelAt)
				opDone := make(chan struct{})
				defer func() { <-opDone }() // an abandoned op finishes on its own
				start := time.Now()
				err := tc.timeout.Run(ctx, func(ctx context.Context) error {
					defer close(opDone)
					return tc.op(ctx)
				})
				if got := time.Since(start); got != tc.wantTime {
					t.Errorf("took %v, want %v", got, tc.wantTime)
				}
				if tc.wantErr == nil && err != nil {
					t.Errorf("Run = %v, want nil", err)
				}
				checkErrors(t, err, tc.wantErr, tc.wantNotIs)
			})
		})
	}
}

func TestErrTimeout(t *testing.T) {
	if !errors.Is(ErrTimeout, context.DeadlineExceeded) {
		t.Error("ErrTimeout does not match context.DeadlineExceeded")
	}
	var te interface{ Timeout() bool }
	if !errors.As(ErrTimeout, &te) || !te.Timeout() {
		t.Error("ErrTimeout has no Timeout() method reporting true")
	}
	if ErrTimeout.Error() != "resilience: timeout" {
		t.Errorf("ErrTimeout = %q", ErrTimeout)
	}
}

func TestTimeoutPanics(t *testing.T) {
	tests := []struct {
		name    string
		timeout Timeout
		op      func(context.Context) error
		want    any
	}{
		{"goroutine", Timeout{Duration: time.Second}, func(context.Context) error { panic("kaboom") }, "kaboom"},
		{"inline", Timeout{Duration: time.Second, Inline: true}, func(context.Context) error { panic("kaboom") }, "kaboom"},
		{"goexit", Timeout{Duration: time.Second}, func(context.Context) error { runtime.Goexit(); return nil }, errGoexit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				defer func() {
					if r := recover(); r != tc.want {
						t.Errorf("recovered %v, want %v", r, tc.want)
					}
				}()
				_ = tc.timeout.Run(t.Context(), tc.op)
				t.Error("Run returned")
			})
		})
	}
}

// TestTimeoutProperties checks that Run returns within the deadline (unless
// Inline waits for an op that ignores its context), reports ErrTimeout
// exactly when the op is slower than the deadline, and returns the op's own
// result otherwise.
func TestTimeoutProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rapid.SyncTest(rt, func(rt *rapid.T) {
			limit := time.Duration(rapid.Int64Range(1, int64(time.Second)).Draw(rt, "timeout"))
			took := time.Duration(rapid.Int64Range(0, int64(2*time.Second)).Draw(rt, "opTime"))
			if took == limit {
				took++ // at the exact deadline either outcome is allowed
			}
			honor := rapid.Bool().Draw(rt, "honorsContext")
			inline := rapid.Bool().Draw(rt, "inline")
			var opErr error
			if rapid.Bool().Draw(rt, "opFails") {
				opErr = errBoom
			}
			op := sleepOp(took, honor, opErr)
			opDone := make(chan struct{})
			defer func() { <-opDone }() // an abandoned op finishes on its own
			start := time.Now()
			err := Timeout{Duration: limit, Inline: inline}.Run(context.Background(), func(ctx context.Context) error {
				defer close(opDone)
				return op(ctx)
			})
			elapsed := time.Since(start)

			switch {
			case inline && !honor:
				if elapsed != took {
					rt.Fatalf("inline run took %v, op takes %v", elapsed, took)
				}
			case elapsed > limit || elapsed != min(took, limit):
				rt.Fatalf("took %v, op takes %v, timeout %v", elapsed, took, limit)
			}
			late := took > limit
			switch {
			case late && (!inline || honor || opErr != nil):
				if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
					rt.Fatalf("Run = %v, want ErrTimeout", err)
				}
			case late: // inline, op ignored ctx and succeeded late
				if err != nil {
					rt.Fatalf("Run = %v, want the late success", err)
				}
			default:
				if err != opErr {
					rt.Fatalf("Run = %v, want the op's %v", err, opErr)
				}
			}
		})
	})
}

// TestTimeoutAbandonedPanicCrashes checks, in a child process, that a panic
// in an op the caller has stopped waiting for is not swallowed: it crashes
// the program, as a panic on any goroutine does.
func TestTimeoutAbandonedPanicCrashes(t *testing.T) {
	if os.Getenv("RESILIENCE_CRASH_CHILD") == "1" {
		synctest.Test(t, func(t *testing.T) {
			_ = Timeout{Duration: time.Second}.Run(t.Context(), func(context.Context) error {
				time.Sleep(time.Hour)
				panic("late kaboom")
			})
			select {} // let fake time run until the op panics
		})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTimeoutAbandonedPanicCrashes$")
	cmd.Env = append(os.Environ(), "RESILIENCE_CRASH_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), "panic: late kaboom") {
		t.Fatalf("child exited with %v, output:\n%s\nwant a crash with the op's panic", err, out)
	}
}
