package resilience

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// tracer is a Strategy that records when it is entered and left.
func tracer(name string, log *[]string) Strategy {
	return StrategyFunc(func(ctx context.Context, op func(context.Context) error) error {
		*log = append(*log, "enter "+name)
		err := op(ctx)
		*log = append(*log, "leave "+name)
		return err
	})
}

func TestChain(t *testing.T) {
	tests := []struct {
		name  string
		names []string // nil entries become nil strategies
		want  []string
	}{
		{"empty", nil, []string{"op"}},
		{"one", []string{"a"}, []string{"enter a", "op", "leave a"}},
		{"first is outermost", []string{"a", "b", "c"}, []string{"enter a", "enter b", "enter c", "op", "leave c", "leave b", "leave a"}},
		{"nil skipped", []string{"a", "", "c", ""}, []string{"enter a", "enter c", "op", "leave c", "leave a"}},
		{"only nil", []string{"", ""}, []string{"op"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log []string
			var ps []Strategy
			for _, n := range tc.names {
				if n == "" {
					ps = append(ps, nil)
				} else {
					ps = append(ps, tracer(n, &log))
				}
			}
			err := Chain(ps...).Run(t.Context(), func(context.Context) error {
				log = append(log, "op")
				return errBoom
			})
			if err != errBoom {
				t.Errorf("Run = %v, want the op's error", err)
			}
			if diff := cmp.Diff(tc.want, log); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChainSingleStrategyIsItself(t *testing.T) {
	b := NewBreaker("")
	if p := Chain(nil, b); p != Strategy(b) {
		t.Errorf("Chain(nil, b) = %v, want b itself", p)
	}
}

func TestChainPassesContext(t *testing.T) {
	type key struct{}
	inner := StrategyFunc(func(ctx context.Context, op func(context.Context) error) error {
		return op(context.WithValue(ctx, key{}, "set by inner"))
	})
	var got any
	_ = Chain(Retry{}, inner, Timeout{Duration: time.Hour}).Run(t.Context(), func(ctx context.Context) error {
		got = ctx.Value(key{})
		return nil
	})
	if got != "set by inner" {
		t.Errorf("op saw %v, want the inner strategy's context", got)
	}
}

func TestDo(t *testing.T) {
	t.Run("nil strategy", func(t *testing.T) {
		got, err := Do(t.Context(), nil, func(context.Context) (int, error) { return 7, errBoom })
		if got != 7 || err != errBoom {
			t.Errorf("Do = %d, %v; want 7, boom", got, err)
		}
	})
	t.Run("last attempt's value", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := 0
			got, err := Do(t.Context(), Retry{Jitter: -1}, func(context.Context) (int, error) {
				n++
				if n < 3 {
					return -n, errBoom
				}
				return n, nil
			})
			if got != 3 || err != nil {
				t.Errorf("Do = %d, %v; want 3, nil", got, err)
			}
		})
	})
	t.Run("rejected call", func(t *testing.T) {
		got, err := Do(t.Context(), StrategyFunc(func(context.Context, func(context.Context) error) error { return ErrOpen }),
			func(context.Context) (string, error) { return "ran", nil })
		if got != "" || err != ErrOpen {
			t.Errorf("Do = %q, %v; want zero, ErrOpen", got, err)
		}
	})
}

// TestDoDropsAbandonedResults checks that when a Timeout abandons an attempt,
// its late result neither replaces the newer attempt's nor races with the
// caller (run with -race).
func TestDoDropsAbandonedResults(t *testing.T) {
	tests := []struct {
		name       string
		first      time.Duration // how long the first (abandoned) attempt takes
		second     time.Duration
		wantResult string
	}{
		{"stale result arrives after Do returned", 2 * time.Second, 0, "fresh"},
		{"stale result arrives during the newer attempt", 1500 * time.Millisecond, 800 * time.Millisecond, "fresh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := Chain(Retry{InitialInterval: 10 * time.Millisecond, Jitter: -1}, Timeout{Duration: time.Second})
				var attempt atomic.Int32
				allDone := make(chan struct{})
				got, err := Do(t.Context(), p, func(context.Context) (string, error) {
					if attempt.Add(1) == 1 {
						time.Sleep(tc.first) // ignores its context
						close(allDone)
						return "stale", nil
					}
					time.Sleep(tc.second)
					return "fresh", nil
				})
				if got != tc.wantResult || err != nil {
					t.Errorf("Do = %q, %v; want %q, nil", got, err, tc.wantResult)
				}
				<-allDone
			})
		})
	}
}

// TestFallbackTimeoutProperties checks a Fallback around a Timeout: the
// caller always gets an answer within the deadline, and it is the fallback
// exactly when the op failed or was too slow.
func TestFallbackTimeoutProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rapid.SyncTest(rt, func(rt *rapid.T) {
			limit := time.Duration(rapid.Int64Range(1, 1000).Draw(rt, "timeoutMs")) * time.Millisecond
			took := time.Duration(rapid.Int64Range(0, 2000).Draw(rt, "opTimeMs")) * time.Millisecond
			if took == limit {
				took++
			}
			fails := rapid.Bool().Draw(rt, "opFails")
			honor := rapid.Bool().Draw(rt, "honorsContext")
			opDone := make(chan struct{})
			defer func() { <-opDone }()
			start := time.Now()
			got, err := Fallback[string]{Value: "fallback"}.Do(context.Background(), Timeout{Duration: limit},
				func(ctx context.Context) (string, error) {
					defer close(opDone)
					if err := sleepOp(took, honor, nil)(ctx); err != nil {
						return "", err
					}
					if fails {
						return "", errBoom
					}
					return "live", nil
				})
			if elapsed := time.Since(start); elapsed > limit {
				rt.Fatalf("answered after %v, deadline %v", elapsed, limit)
			}
			want := "live"
			if fails || took > limit {
				want = "fallback"
			}
			if got != want || err != nil {
				rt.Fatalf("Do = %q, %v; want %q, nil", got, err, want)
			}
		})
	})
}

// TestChainEndToEnd runs the recommended stack against a dependency that
// fails, then hangs, then recovers.
func TestChainEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		breaker := NewBreaker("", WithConsecutiveFailures(3), WithOpenTimeout(10*time.Second))
		p := Chain(
			Retry{MaxAttempts: 3, InitialInterval: 100 * time.Millisecond, Jitter: -1},
			breaker,
			NewBulkhead(4),
			Timeout{Duration: time.Second},
		)
		fb := Fallback[string]{Value: "cached"}
		var mode atomic.Value
		mode.Store("down")
		var calls atomic.Int32
		fetch := func(ctx context.Context) (string, error) {
			calls.Add(1)
			switch mode.Load() {
			case "down":
				return "", errBoom
			case "hang":
				<-ctx.Done()
				return "", ctx.Err()
			}
			return "live", nil
		}

		// Three failures trip the breaker; the fallback answers.
		if got, _ := fb.Do(t.Context(), p, fetch); got != "cached" || calls.Load() != 3 || breaker.State() != StateOpen {
			t.Fatalf("down: got %q after %d calls, breaker %v; want cached, 3, open", got, calls.Load(), breaker.State())
		}
		// While open, calls do not reach the dependency.
		if got, err := Do(t.Context(), p, fetch); got != "" || !errors.Is(err, ErrOpen) || calls.Load() != 3 {
			t.Fatalf("open: Do = %q, %v after %d calls; want ErrOpen, no new call", got, err, calls.Load())
		}
		// After the open timeout, a hanging trial times out and reopens the
		// breaker; the retry after it meets the open breaker and stops.
		time.Sleep(11 * time.Second)
		mode.Store("hang")
		start := time.Now()
		_, err := Do(t.Context(), p, fetch)
		var re *RetryError
		if !errors.As(err, &re) || re.Attempts != 2 || !errors.Is(err, ErrOpen) || calls.Load() != 4 {
			t.Fatalf("hang: Do = %v after %d calls, want ErrOpen on the second attempt and 4 calls", err, calls.Load())
		}
		if d := time.Since(start); d != 1100*time.Millisecond {
			t.Fatalf("hang: took %v, want the 1s timeout and one 100ms wait", d)
		}
		// Recovered: the next trial closes the breaker.
		time.Sleep(11 * time.Second)
		mode.Store("up")
		if got, err := fb.Do(t.Context(), p, fetch); got != "live" || err != nil || breaker.State() != StateClosed {
			t.Fatalf("up: got %q, %v, breaker %v; want live, closed", got, err, breaker.State())
		}
	})
}
