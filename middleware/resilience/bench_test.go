package resilience

import (
	"context"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/sony/gobreaker"
)

// The benchmarks measure the success path, where op returns nil at once. Each
// starts with a baseline: calling op directly, or the bare library the strategy
// wraps, configured the same way.

func nopOp(context.Context) error { return nil }

func BenchmarkBaseline(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	op := nopOp
	for b.Loop() {
		_ = op(ctx)
	}
}

// BenchmarkRetryRaw is backoff.Retry as one would call it per request: a
// fresh ExponentialBackOff (it is not safe to share), attempts and context
// bounds.
func BenchmarkRetryRaw(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	op := func() error { return nil }
	for b.Loop() {
		bo := backoff.NewExponentialBackOff()
		_ = backoff.Retry(op, backoff.WithContext(backoff.WithMaxRetries(bo, 2), ctx))
	}
}

func BenchmarkRetry(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	r := Retry{MaxAttempts: 3}
	for b.Loop() {
		_ = r.Run(ctx, nopOp)
	}
}

func BenchmarkBreakerRaw(b *testing.B) {
	cb := gobreaker.NewCircuitBreaker(gobreaker.Settings{})
	req := func() (any, error) { return nil, nil }
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = cb.Execute(req)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = cb.Execute(req)
			}
		})
	})
}

func BenchmarkBreaker(b *testing.B) { benchStrategy(b, NewBreaker("bench")) }

func BenchmarkBulkhead(b *testing.B) { benchStrategy(b, NewBulkhead(1024)) }

// benchStrategy runs s around a no-op, serially and in parallel.
func benchStrategy(b *testing.B, s Strategy) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = s.Run(ctx, nopOp)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = s.Run(ctx, nopOp)
			}
		})
	})
}

func BenchmarkTimeout(b *testing.B) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		t    Timeout
	}{
		{"context.WithTimeout", Timeout{}}, // baseline below
		{"goroutine", Timeout{Duration: time.Minute}},
		{"inline", Timeout{Duration: time.Minute, Inline: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			if tc.t.Duration == 0 {
				for b.Loop() {
					tctx, cancel := context.WithTimeout(ctx, time.Minute)
					_ = nopOp(tctx)
					cancel()
				}
				return
			}
			for b.Loop() {
				_ = tc.t.Run(ctx, nopOp)
			}
		})
	}
}

func BenchmarkDo(b *testing.B) {
	ctx := context.Background()
	op := func(context.Context) (int, error) { return 1, nil }
	var p Strategy = Retry{}
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = op(ctx)
		}
	})
	b.Run("retry", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = Do(ctx, p, op)
		}
	})
}

// BenchmarkChain runs the recommended stack (Retry, Breaker, Bulkhead,
// Timeout) around op, with the Timeout in each of its modes.
func BenchmarkChain(b *testing.B) {
	ctx := context.Background()
	for _, inline := range []bool{false, true} {
		name := "timeout=goroutine"
		if inline {
			name = "timeout=inline"
		}
		p := Chain(Retry{MaxAttempts: 3}, NewBreaker("bench"), NewBulkhead(1024), Timeout{Duration: time.Minute, Inline: inline})
		b.Run(name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = p.Run(ctx, nopOp)
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_ = p.Run(ctx, nopOp)
				}
			})
		})
	}
}
