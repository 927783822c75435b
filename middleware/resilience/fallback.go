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
//
// Do reports what became of the injected errors the call met (see
// "Injected faults" in the package documentation): absorbed when the
// fallback's result is a success, escaped when it is an error or When
// declines, unless a settling layer outside Do decides.
func (f Fallback[T]) Do(ctx context.Context, s Strategy, op func(context.Context) (T, error)) (T, error) {
	ctx, outer := settling(ctx)
	v, err := Do(ctx, s, op)
	if err == nil {
		return v, nil
	}
	if f.When != nil && !f.When(err) {
		recovered(outer, err, err)
		return v, err
	}
	if f.Func == nil {
		recovered(outer, err, nil)
		return f.Value, nil
	}
	v, res := f.Func(ctx, err)
	recovered(outer, err, res)
	return v, res
}

// FallbackFunc is a [Strategy] that hands op's error to the function, and
// returns what it returns: nil to swallow the failure (after, say, serving a
// cached copy), the same error to let it through, or another error. It is not
// called when op succeeds. Put it first in a [Chain] so it sees the final
// outcome. A nil FallbackFunc returns op's error unchanged. It is safe for
// concurrent use if the function is.
type FallbackFunc func(ctx context.Context, err error) error

// Run runs op and, if it fails, returns f(ctx, err). It reports what became
// of the injected errors op met as [Fallback.Do] does: absorbed when f
// returns nil, escaped otherwise, unless a settling layer outside it
// decides. A nil f settles nothing: it is no fallback.
func (f FallbackFunc) Run(ctx context.Context, op func(context.Context) error) error {
	if f == nil {
		return op(ctx)
	}
	ctx, outer := settling(ctx)
	err := op(ctx)
	if err == nil {
		return nil
	}
	res := f(ctx, err)
	recovered(outer, err, res)
	return res
}
