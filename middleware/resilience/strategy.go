package resilience

import (
	"context"
	"sync"
)

// Strategy runs an operation under a resilience rule: it may run op once,
// several times, not at all, or bound how long the caller waits for it. Run
// returns op's error, or an error of its own when the strategy stopped the
// call.
//
// Implementations must pass op a context derived from ctx and must be safe for
// concurrent use. Every strategy in this package is.
type Strategy interface {
	Run(ctx context.Context, op func(context.Context) error) error
}

// StrategyFunc adapts an ordinary function to a [Strategy], as
// [net/http.HandlerFunc] does for handlers. It is safe for concurrent use if
// the function is.
type StrategyFunc func(ctx context.Context, op func(context.Context) error) error

// Run calls f(ctx, op).
func (f StrategyFunc) Run(ctx context.Context, op func(context.Context) error) error {
	return f(ctx, op)
}

// Chain returns a Strategy that nests strategies, the first outermost:
// Chain(a, b).Run runs a, which runs b, which runs op. Nil strategies are
// skipped; Chain() runs op directly. The result is safe for concurrent use
// when every strategy is.
//
// The recommended order, outermost first, is
//
//	Fallback → Retry → Breaker → Bulkhead → Timeout → op
//
// because:
//
//   - Fallback sees the final outcome, including a rejection by the breaker or
//     the bulkhead, so the caller always gets an answer. A value fallback is
//     [Fallback.Do] around the chain; a [FallbackFunc] can be first in it.
//   - Retry sits outside the breaker, so every attempt asks the breaker, and
//     failing attempts count towards opening it. Once it is open, Retry's
//     default classifier stops on [ErrOpen] instead of waiting for it.
//   - Breaker sits outside the bulkhead so that an open breaker rejects a call
//     before it takes a slot. Note that it counts [ErrBulkheadFull] as a
//     failure unless [WithIsSuccessful] says otherwise.
//   - Bulkhead bounds how many calls run at once.
//   - Timeout is innermost, so each attempt has its own deadline and a timed
//     out attempt counts as a failure for the breaker and is retried.
func Chain(strategies ...Strategy) Strategy {
	var c chain
	for _, s := range strategies {
		if s != nil {
			c = append(c, s)
		}
	}
	switch len(c) {
	case 0:
		return nop{}
	case 1:
		return c[0]
	}
	return c
}

// nop runs op directly.
type nop struct{}

func (nop) Run(ctx context.Context, op func(context.Context) error) error { return op(ctx) }

// chain holds at least two strategies, outermost first.
type chain []Strategy

func (c chain) Run(ctx context.Context, op func(context.Context) error) error {
	return c.run(ctx, 0, op)
}

func (c chain) run(ctx context.Context, i int, op func(context.Context) error) error {
	if i == len(c)-1 {
		return c[i].Run(ctx, op)
	}
	return c[i].Run(ctx, func(ctx context.Context) error { return c.run(ctx, i+1, op) })
}

// Do runs op under s and returns the result of the attempt that finished
// last among those s still waits for. When s stops the call without running
// op, Do returns the zero T and s's error; when op fails, Do returns what op
// returned alongside s's error. A nil s runs op directly.
//
// Do is safe to use with strategies that abandon an attempt (a [Timeout] returns
// at its deadline while op keeps running): a result that arrives after a newer
// attempt has started, or after Do has returned, is dropped. Do is safe for
// concurrent use when s is.
func Do[T any](ctx context.Context, s Strategy, op func(context.Context) (T, error)) (T, error) {
	if s == nil {
		return op(ctx)
	}
	r := &result[T]{}
	err := s.Run(ctx, func(ctx context.Context) error {
		n := r.start()
		v, err := op(ctx)
		r.publish(n, v)
		return err
	})
	return r.finish(), err
}

// result collects the value of the newest attempt of a Do call.
type result[T any] struct {
	mu      sync.Mutex
	started uint64 // attempts started so far
	done    bool   // Do has read v; later attempts are dropped
	v       T
}

func (r *result[T]) start() uint64 {
	r.mu.Lock()
	r.started++
	n := r.started
	r.mu.Unlock()
	return n
}

func (r *result[T]) publish(n uint64, v T) {
	r.mu.Lock()
	if !r.done && n == r.started {
		r.v = v
	}
	r.mu.Unlock()
}

func (r *result[T]) finish() T {
	r.mu.Lock()
	r.done = true
	v := r.v
	r.mu.Unlock()
	return v
}
