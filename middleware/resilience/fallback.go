package resilience

import "context"

// Fallback supplies a result when a call fails: a fixed Value, or one computed
// by Func from the error. Use it around a strategy with [Fallback.Do]:
//
//	price, err := resilience.Fallback[float64]{Value: cachedPrice}.Do(ctx, p, fetchPrice)
//
// When is consulted first, so the fallback can be kept to some errors (say, a
// dependency that is down, not a bad request). The zero Fallback replaces
// every failure with the zero T. A Fallback is a plain value, safe for
// concurrent use if its functions are.
type Fallback[T any] struct {
	// Value is the result used when Func is nil.
	Value T

	// Func, if set, computes the result from the error instead of Value; it
	// may return an error of its own, which Do then returns.
	Func func(ctx context.Context, err error) (T, error)

	// When reports whether an error calls for the fallback. Nil means every
	// error does.
	When func(err error) bool
}

// Do runs op under s (directly if s is nil) as [Do] does. If that fails and
// When allows it, Do returns the fallback's result instead: (Value, nil), or
// what Func returns. Otherwise it returns op's result and error unchanged.
func (f Fallback[T]) Do(ctx context.Context, s Strategy, op func(context.Context) (T, error)) (T, error) {
	v, err := Do(ctx, s, op)
	if err == nil || (f.When != nil && !f.When(err)) {
		return v, err
	}
	if f.Func != nil {
		return f.Func(ctx, err)
	}
	return f.Value, nil
}

// FallbackFunc is a [Strategy] that hands op's error to the function, and
// returns what it returns: nil to swallow the failure (after, say, serving a
// cached copy), the same error to let it through, or another error. It is not
// called when op succeeds. Put it first in a [Chain] so it sees the final
// outcome. A nil FallbackFunc returns op's error unchanged. It is safe for
// concurrent use if the function is.
type FallbackFunc func(ctx context.Context, err error) error

// Run runs op and, if it fails, returns f(ctx, err).
func (f FallbackFunc) Run(ctx context.Context, op func(context.Context) error) error {
	err := op(ctx)
	if err == nil || f == nil {
		return err
	}
	return f(ctx, err)
}
