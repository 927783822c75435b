package resilience

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"
)

func TestBulkhead(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		opts      []BulkheadOption
		holdFor   time.Duration // how long the slot holders run
		cancelAt  time.Duration // cancel the extra call's context after this; 0: never
		wantErr   error
		wantWait  time.Duration // how long the extra call waited
		wantRan   bool
		wantLimit int
	}{
		{name: "full fails at once", limit: 2, holdFor: time.Second, wantErr: ErrBulkheadFull, wantLimit: 2},
		{name: "waits for a slot", limit: 2, opts: []BulkheadOption{WithMaxWait(2 * time.Second)}, holdFor: time.Second, wantWait: time.Second, wantRan: true, wantLimit: 2},
		{name: "gives up after MaxWait", limit: 1, opts: []BulkheadOption{WithMaxWait(500 * time.Millisecond)}, holdFor: time.Second, wantErr: ErrBulkheadFull, wantWait: 500 * time.Millisecond, wantLimit: 1},
		{name: "negative MaxWait fails at once", limit: 1, opts: []BulkheadOption{WithMaxWait(-time.Second)}, holdFor: time.Second, wantErr: ErrBulkheadFull, wantLimit: 1},
		{
			name: "context ends the wait", limit: 1, opts: []BulkheadOption{WithMaxWait(time.Minute)}, holdFor: time.Second, cancelAt: 100 * time.Millisecond,
			wantErr: context.Canceled, wantWait: 100 * time.Millisecond, wantLimit: 1,
		},
		{name: "zero MaxWait fails at once", limit: 1, opts: []BulkheadOption{WithMaxWait(0)}, holdFor: time.Second, wantErr: ErrBulkheadFull, wantLimit: 1},
		{name: "zero limit: no limit", limit: 0, holdFor: time.Second, wantRan: true},
		{name: "negative limit: no limit", limit: -1, holdFor: time.Second, wantRan: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := NewBulkhead(tc.limit, tc.opts...)
				if b.Limit() != tc.wantLimit {
					t.Errorf("Limit = %d, want %d", b.Limit(), tc.wantLimit)
				}
				var wg sync.WaitGroup
				for range max(tc.limit, 1) {
					wg.Go(func() {
						_ = b.Run(t.Context(), func(context.Context) error { time.Sleep(tc.holdFor); return nil })
					})
				}
				synctest.Wait()
				if got := b.InFlight(); got != tc.wantLimit {
					t.Errorf("InFlight = %d, want %d", got, tc.wantLimit)
				}
				ctx := testContext(t, 0, tc.cancelAt)
				start := time.Now()
				ran := false
				err := b.Run(ctx, func(context.Context) error { ran = true; return nil })
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
					t.Errorf("Run = %v, want %v", err, tc.wantErr)
				}
				if got := time.Since(start); got != tc.wantWait {
					t.Errorf("waited %v, want %v", got, tc.wantWait)
				}
				if ran != tc.wantRan {
					t.Errorf("op ran: %v, want %v", ran, tc.wantRan)
				}
				wg.Wait()
				if got := b.InFlight(); got != 0 {
					t.Errorf("InFlight after all calls = %d, want 0", got)
				}
			})
		})
	}
}

func TestBulkheadNil(t *testing.T) {
	var b *Bulkhead
	if err := b.Run(t.Context(), fail); err != errBoom {
		t.Errorf("Run = %v, want op's error", err)
	}
	if b.InFlight() != 0 || b.Limit() != 0 {
		t.Errorf("InFlight, Limit = %d, %d; want 0, 0", b.InFlight(), b.Limit())
	}
}

func TestBulkheadReleasesOnPanic(t *testing.T) {
	b := NewBulkhead(1)
	func() {
		defer func() { _ = recover() }()
		_ = b.Run(t.Context(), func(context.Context) error { panic("kaboom") })
	}()
	if err := b.Run(t.Context(), succeed); err != nil {
		t.Errorf("Run after a panicking call = %v, want the slot back", err)
	}
}

// TestBulkheadProperties runs random workloads (arrival times, durations,
// limit and MaxWait) and checks that no more than the limit ever run at once,
// that every call either runs or fails with ErrBulkheadFull, that a long
// enough MaxWait rejects nothing, and that every slot comes back. goleak
// (TestMain) checks that no goroutine is left behind.
func TestBulkheadProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rapid.SyncTest(rt, func(rt *rapid.T) {
			limit := rapid.IntRange(1, 4).Draw(rt, "limit")
			maxWait := rapid.SampledFrom([]time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond, time.Hour}).Draw(rt, "maxWait")
			type job struct{ at, took time.Duration }
			jobs := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) job {
				return job{
					at:   time.Duration(rapid.Int64Range(0, 100).Draw(t, "arrivalMs")) * time.Millisecond,
					took: time.Duration(rapid.Int64Range(0, 100).Draw(t, "durationMs")) * time.Millisecond,
				}
			}), 1, 20).Draw(rt, "jobs")

			b := NewBulkhead(limit, WithMaxWait(maxWait))
			var running, peak, ran, rejected, other atomic.Int64
			var wg sync.WaitGroup
			for _, j := range jobs {
				wg.Go(func() {
					time.Sleep(j.at)
					err := b.Run(context.Background(), func(context.Context) error {
						n := running.Add(1)
						for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
						}
						ran.Add(1)
						time.Sleep(j.took)
						running.Add(-1)
						return nil
					})
					switch {
					case errors.Is(err, ErrBulkheadFull):
						rejected.Add(1)
					case err != nil:
						other.Add(1)
					}
				})
			}
			wg.Wait()
			if other.Load() != 0 {
				rt.Fatalf("%d calls failed with an error other than ErrBulkheadFull", other.Load())
			}
			if p := peak.Load(); p > int64(limit) {
				rt.Fatalf("%d calls ran at once, limit %d", p, limit)
			}
			if ran.Load()+rejected.Load() != int64(len(jobs)) {
				rt.Fatalf("%d ran + %d rejected != %d calls", ran.Load(), rejected.Load(), len(jobs))
			}
			if maxWait == time.Hour && rejected.Load() != 0 {
				rt.Fatalf("%d calls rejected with a MaxWait longer than the whole workload", rejected.Load())
			}
			if b.InFlight() != 0 {
				rt.Fatalf("InFlight = %d after every call returned", b.InFlight())
			}
		})
	})
}

// TestBulkheadSimultaneous checks that, with no MaxWait, exactly limit of n
// calls arriving together run.
func TestBulkheadSimultaneous(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rapid.SyncTest(rt, func(rt *rapid.T) {
			limit := rapid.IntRange(1, 8).Draw(rt, "limit")
			n := rapid.IntRange(1, 24).Draw(rt, "calls")
			b := NewBulkhead(limit)
			var ran atomic.Int64
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					_ = b.Run(context.Background(), func(context.Context) error {
						ran.Add(1)
						time.Sleep(time.Second)
						return nil
					})
				})
			}
			wg.Wait()
			if got, want := ran.Load(), int64(min(n, limit)); got != want {
				rt.Fatalf("%d of %d calls ran, want %d", got, n, want)
			}
		})
	})
}
