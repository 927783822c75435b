package resilience

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

var (
	errBoom  = errors.New("boom")
	errOther = errors.New("other")
)

// script returns an op that returns errs[i] on its i-th call (nil past the
// end) and a pointer to the number of calls made.
func script(errs ...error) (func(context.Context) error, *int) {
	calls := new(int)
	return func(context.Context) error {
		i := *calls
		*calls++
		if i < len(errs) {
			return errs[i]
		}
		return nil
	}, calls
}

type retryCall struct {
	Attempt int
	Err     string
	Wait    time.Duration
}

func TestRetry(t *testing.T) {
	fixed := Retry{MaxAttempts: 4, InitialInterval: 100 * time.Millisecond, MaxInterval: 300 * time.Millisecond, Jitter: -1}
	tests := []struct {
		name      string
		retry     Retry
		errs      []error
		ctxTO     time.Duration // context timeout; 0 means none
		cancelAt  time.Duration // cancel the context after this long; 0 means never
		wantCalls int
		wantErr   []error // all must match with errors.Is; nil means success
		wantNotIs []error
		wantTime  time.Duration
		wantHooks []retryCall
	}{
		{name: "success", retry: fixed, wantCalls: 1},
		{
			name: "succeeds on third attempt", retry: fixed, errs: []error{errBoom, errOther},
			wantCalls: 3, wantTime: 300 * time.Millisecond,
			wantHooks: []retryCall{{1, "boom", 100 * time.Millisecond}, {2, "other", 200 * time.Millisecond}},
		},
		{
			name: "exhausted returns last error", retry: fixed, errs: []error{errBoom, errBoom, errBoom, errOther},
			wantCalls: 4, wantErr: []error{errOther}, wantNotIs: []error{context.Canceled},
			// waits 100, 200, then 300 (capped by MaxInterval)
			wantTime: 600 * time.Millisecond,
			wantHooks: []retryCall{
				{1, "boom", 100 * time.Millisecond}, {2, "boom", 200 * time.Millisecond}, {3, "boom", 300 * time.Millisecond},
			},
		},
		{name: "default is 3 attempts", retry: Retry{Jitter: -1}, errs: []error{errBoom, errBoom, errBoom, errBoom}, wantCalls: 3, wantErr: []error{errBoom}, wantTime: 300 * time.Millisecond},
		{name: "one attempt", retry: Retry{MaxAttempts: 1}, errs: []error{errBoom}, wantCalls: 1, wantErr: []error{errBoom}},
		{name: "permanent", retry: fixed, errs: []error{Permanent(errBoom)}, wantCalls: 1, wantErr: []error{errBoom}},
		{name: "backoff.Permanent", retry: fixed, errs: []error{backoff.Permanent(errBoom)}, wantCalls: 1, wantErr: []error{errBoom}},
		{name: "permanent on second attempt", retry: fixed, errs: []error{errOther, Permanent(errBoom)}, wantCalls: 2, wantErr: []error{errBoom}, wantTime: 100 * time.Millisecond},
		{name: "canceled from op", retry: fixed, errs: []error{context.Canceled}, wantCalls: 1, wantErr: []error{context.Canceled}},
		{name: "deadline from op", retry: fixed, errs: []error{context.DeadlineExceeded}, wantCalls: 1, wantErr: []error{context.DeadlineExceeded}},
		{name: "open breaker is not retried", retry: fixed, errs: []error{ErrOpen}, wantCalls: 1, wantErr: []error{ErrOpen}},
		{name: "busy half-open breaker is retried", retry: fixed, errs: []error{ErrTooManyRequests}, wantCalls: 2, wantTime: 100 * time.Millisecond},
		{name: "full bulkhead is retried", retry: fixed, errs: []error{ErrBulkheadFull}, wantCalls: 2, wantTime: 100 * time.Millisecond},
		{name: "timeout from op is retried", retry: fixed, errs: []error{ErrTimeout}, wantCalls: 2, wantTime: 100 * time.Millisecond},
		{
			name: "classifier", retry: Retry{MaxAttempts: 5, Jitter: -1, Retryable: func(err error) bool { return errors.Is(err, errBoom) }},
			errs: []error{errBoom, errOther}, wantCalls: 2, wantErr: []error{errOther}, wantTime: 100 * time.Millisecond,
		},
		{
			name: "classifier cannot retry permanent", retry: Retry{MaxAttempts: 5, Retryable: func(error) bool { return true }},
			errs: []error{Permanent(errBoom)}, wantCalls: 1, wantErr: []error{errBoom},
		},
		{
			name: "classifier cannot retry canceled", retry: Retry{MaxAttempts: 5, Retryable: func(error) bool { return true }},
			errs: []error{context.Canceled}, wantCalls: 1, wantErr: []error{context.Canceled},
		},
		{
			name: "max elapsed", retry: Retry{MaxAttempts: -1, Jitter: -1, MaxElapsed: 650 * time.Millisecond},
			errs: []error{errBoom, errBoom, errBoom, errBoom, errBoom}, wantCalls: 3, wantErr: []error{errBoom},
			// waits 100 and 200; the next (400) would end at 700ms, past 650ms
			wantTime: 300 * time.Millisecond,
		},
		{
			name: "max elapsed reached exactly", retry: Retry{MaxAttempts: -1, Jitter: -1, MaxElapsed: 700 * time.Millisecond},
			errs: []error{errBoom, errBoom, errBoom, errBoom, errBoom}, wantCalls: 4, wantErr: []error{errBoom},
			wantTime: 700 * time.Millisecond,
		},
		{
			name: "no wait into the context deadline", retry: Retry{MaxAttempts: 10, Jitter: -1},
			errs: []error{errBoom, errBoom, errBoom, errBoom}, ctxTO: 250 * time.Millisecond,
			// waits 100; the next (200) would end at 300ms, past the deadline
			wantCalls: 2, wantErr: []error{errBoom}, wantNotIs: []error{context.DeadlineExceeded},
			wantTime: 100 * time.Millisecond,
		},
		{
			name: "canceled during a wait", retry: Retry{MaxAttempts: 10, Jitter: -1},
			errs: []error{errBoom, errBoom, errBoom}, cancelAt: 150 * time.Millisecond,
			wantCalls: 2, wantErr: []error{errBoom, context.Canceled}, wantTime: 150 * time.Millisecond,
		},
		{
			name: "unlimited attempts", retry: Retry{MaxAttempts: -1, InitialInterval: time.Millisecond, Multiplier: 1, Jitter: -1},
			errs: make10(errBoom), wantCalls: 11, wantTime: 10 * time.Millisecond,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := testContext(t, tc.ctxTO, tc.cancelAt)
				var hooks []retryCall
				r := tc.retry
				r.OnRetry = func(attempt int, err error, wait time.Duration) {
					hooks = append(hooks, retryCall{attempt, err.Error(), wait})
				}
				op, calls := script(tc.errs...)
				start := time.Now()
				err := r.Run(ctx, op)
				if got := time.Since(start); got != tc.wantTime {
					t.Errorf("took %v, want %v", got, tc.wantTime)
				}
				if *calls != tc.wantCalls {
					t.Errorf("op ran %d times, want %d", *calls, tc.wantCalls)
				}
				if tc.wantErr == nil {
					if err != nil {
						t.Fatalf("Run = %v, want nil", err)
					}
				} else {
					var re *RetryError
					if !errors.As(err, &re) || re.Attempts != tc.wantCalls {
						t.Fatalf("Run = %#v, want a *RetryError with %d attempts", err, tc.wantCalls)
					}
				}
				checkErrors(t, err, tc.wantErr, tc.wantNotIs)
				if tc.wantHooks != nil {
					if diff := cmp.Diff(tc.wantHooks, hooks); diff != "" {
						t.Errorf("OnRetry calls (-want +got):\n%s", diff)
					}
				}
			})
		})
	}
}

func make10(err error) []error {
	errs := make([]error, 10)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

func TestRetryErrorMessage(t *testing.T) {
	tests := []struct {
		err  *RetryError
		want string
	}{
		{&RetryError{Attempts: 1, Err: errBoom}, "resilience: gave up after 1 attempt: boom"},
		{&RetryError{Attempts: 3, Err: errBoom}, "resilience: gave up after 3 attempts: boom"},
		{&RetryError{Attempts: 2, Err: errBoom, ctxErr: context.Canceled}, "resilience: gave up after 2 attempts: boom (context canceled)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRetryZeroAndNegative checks the rule every numeric field follows
// (zero means the default, negative means off) and that nonsense values
// fall back to sane ones rather than panicking or spinning.
func TestRetryZeroAndNegative(t *testing.T) {
	tests := []struct {
		name     string
		retry    Retry
		wantTime time.Duration // for 3 attempts; -1: random, at most 4s
	}{
		{"zero means the defaults", Retry{Jitter: -1}, 300 * time.Millisecond}, // 100ms, then 200ms
		{"negative initial interval: no wait", Retry{InitialInterval: -1, Jitter: -1}, 0},
		{"negative max interval: no cap", Retry{InitialInterval: time.Hour, MaxInterval: -1, Jitter: -1}, 3 * time.Hour},
		{"initial above max", Retry{InitialInterval: time.Hour, MaxInterval: time.Second, Jitter: -1}, 2 * time.Second},
		{"negative multiplier: constant wait", Retry{Multiplier: -2, Jitter: -1}, 200 * time.Millisecond},
		{"multiplier below one is raised to one", Retry{Multiplier: 0.5, Jitter: -1}, 200 * time.Millisecond},
		{"negative max elapsed: no limit", Retry{MaxElapsed: -1, Jitter: -1}, 300 * time.Millisecond},
		{"NaN multiplier and jitter", Retry{Multiplier: nan(), Jitter: nan(), InitialInterval: time.Second, MaxInterval: time.Second}, -1},
		{"jitter above one", Retry{Jitter: 7, InitialInterval: time.Second, MaxInterval: time.Second}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				op, calls := script(errBoom, errBoom, errBoom)
				start := time.Now()
				_ = tc.retry.Run(t.Context(), op)
				took := time.Since(start)
				if *calls != 3 {
					t.Errorf("op ran %d times, want 3", *calls)
				}
				if tc.wantTime >= 0 && took != tc.wantTime {
					t.Errorf("took %v, want %v", took, tc.wantTime)
				}
				if tc.wantTime < 0 && took > 4*time.Second {
					t.Errorf("took %v, want at most 2 waits of at most 2s", took)
				}
			})
		})
	}
}

func nan() float64 {
	var zero float64
	return zero / zero
}

// TestRetryProperties checks, on random settings and failure sequences, that
// Retry never exceeds its attempt limit, never retries a permanent error,
// never runs past MaxElapsed or the context deadline, waits exactly what it
// announces, and returns the last error.
func TestRetryProperties(t *testing.T) {
	kinds := []string{"ok", "fail", "timeout", "permanent", "canceled"}
	rapid.Check(t, func(rt *rapid.T) {
		rapid.SyncTest(rt, func(rt *rapid.T) {
			r := Retry{
				MaxAttempts:     rapid.IntRange(-1, 6).Draw(rt, "maxAttempts"),
				InitialInterval: time.Duration(rapid.Int64Range(0, int64(500*time.Millisecond)).Draw(rt, "initialInterval")),
				MaxInterval:     time.Duration(rapid.Int64Range(0, int64(2*time.Second)).Draw(rt, "maxInterval")),
				Multiplier:      rapid.Float64Range(0, 4).Draw(rt, "multiplier"),
				Jitter:          rapid.Float64Range(-0.5, 1.5).Draw(rt, "jitter"),
				MaxElapsed:      time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(rt, "maxElapsed")),
			}
			ctxTimeout := time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(rt, "ctxTimeout"))
			opTime := time.Duration(rapid.Int64Range(0, int64(100*time.Millisecond)).Draw(rt, "opTime"))
			outcomes := rapid.SliceOfN(rapid.SampledFrom(kinds), 0, 12).Draw(rt, "outcomes")

			ctx := context.Background()
			if ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, ctxTimeout)
				defer cancel()
			}
			var (
				starts []time.Duration // when each attempt began
				errs   []error         // what each attempt returned
				waits  []time.Duration // what OnRetry announced
			)
			start := time.Now()
			r.OnRetry = func(attempt int, err error, wait time.Duration) {
				if attempt != len(errs) || err != errs[len(errs)-1] {
					rt.Fatalf("OnRetry(%d, %v) after %d attempts ending in %v", attempt, err, len(errs), errs[len(errs)-1])
				}
				waits = append(waits, wait)
			}
			op := func(ctx context.Context) error {
				starts = append(starts, time.Since(start))
				kind := "ok" // past the script, succeed, so that Run always ends
				if i := len(errs); i < len(outcomes) {
					kind = outcomes[i]
				}
				var err error
				switch kind {
				case "fail":
					err = errors.New("fail")
				case "timeout":
					err = ErrTimeout
				case "permanent":
					err = Permanent(errors.New("permanent"))
				case "canceled":
					err = context.Canceled
				}
				if opTime > 0 {
					select {
					case <-time.After(opTime):
					case <-ctx.Done():
						err = ctx.Err()
					}
				}
				errs = append(errs, err)
				return err
			}
			err := r.Run(ctx, op)
			elapsed := time.Since(start)
			n := len(errs)

			limit := r.MaxAttempts
			if limit == 0 {
				limit = DefaultMaxAttempts
			}
			if limit > 0 && n > limit {
				rt.Fatalf("%d attempts, limit %d", n, limit)
			}
			for i, e := range errs[:n-1] {
				if e == nil || !r.retryable(e) {
					rt.Fatalf("attempt %d returned %v, which must not be retried, yet %d attempts ran", i+1, e, n)
				}
			}
			if last := errs[n-1]; last == nil {
				if err != nil {
					rt.Fatalf("last attempt succeeded, Run = %v", err)
				}
			} else {
				var re *RetryError
				if !errors.As(err, &re) || re.Attempts != n || !errors.Is(err, last) {
					rt.Fatalf("Run = %v, want a RetryError of %d attempts wrapping %v", err, n, last)
				}
			}
			if r.MaxElapsed > 0 && starts[n-1] > r.MaxElapsed {
				rt.Fatalf("last attempt began at %v, after MaxElapsed %v", starts[n-1], r.MaxElapsed)
			}
			if r.MaxElapsed > 0 && opTime == 0 && elapsed > r.MaxElapsed {
				rt.Fatalf("took %v with instant attempts, MaxElapsed %v", elapsed, r.MaxElapsed)
			}
			if ctxTimeout > 0 && elapsed > ctxTimeout {
				rt.Fatalf("took %v, context deadline %v", elapsed, ctxTimeout)
			}
			if len(waits) != n-1 {
				rt.Fatalf("%d waits announced for %d attempts", len(waits), n)
			}
			for i, w := range waits {
				if gap := starts[i+1] - starts[i] - opTime; gap != w {
					rt.Fatalf("wait %d: announced %v, waited %v", i+1, w, gap)
				}
			}
		})
	})
}

// FuzzRetrySettings checks that no combination of settings makes Retry panic,
// exceed its attempts, or wait past MaxElapsed.
func FuzzRetrySettings(f *testing.F) {
	f.Add(0, int64(0), int64(0), 0.0, 0.0, int64(0), 5)
	f.Add(-1, int64(-5), int64(1), 1e300, -3.0, int64(time.Second), 20)
	f.Add(3, int64(time.Hour), int64(time.Millisecond), 0.5, 2.0, int64(-1), 4)
	f.Fuzz(func(t *testing.T, attempts int, initial, maxInterval int64, mult, jitter float64, maxElapsed int64, failures int) {
		if attempts < 0 && maxElapsed <= 0 {
			maxElapsed = int64(time.Minute) // keep unlimited runs finite
		}
		failures = min(max(failures, 0), 50)
		r := Retry{
			MaxAttempts: attempts, InitialInterval: time.Duration(initial), MaxInterval: time.Duration(maxInterval),
			Multiplier: mult, Jitter: jitter, MaxElapsed: time.Duration(maxElapsed),
		}
		synctest.Test(t, func(t *testing.T) {
			errs := make([]error, failures)
			for i := range errs {
				errs[i] = errBoom
			}
			op, calls := script(errs...)
			start := time.Now()
			_ = r.Run(t.Context(), op)
			if attempts > 0 && *calls > attempts {
				t.Fatalf("%d attempts, limit %d", *calls, attempts)
			}
			if maxElapsed > 0 && time.Since(start) > time.Duration(maxElapsed) {
				t.Fatalf("took %v, MaxElapsed %v", time.Since(start), time.Duration(maxElapsed))
			}
		})
	})
}
