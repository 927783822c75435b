package resilience

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Default values of the [Retry] fields that are left zero.
const (
	DefaultMaxAttempts     = 3
	DefaultInitialInterval = 100 * time.Millisecond
	DefaultMaxInterval     = 10 * time.Second
	DefaultMultiplier      = 2.0
	DefaultJitter          = 0.5
)

// Retry is a [Strategy] that runs op again after a failure, waiting longer each
// time: exponential backoff with jitter, computed by
// [backoff.ExponentialBackOff] and waited out on a timer.
//
// Zero fields take the defaults named in their comments, so Retry{} makes at
// most 3 attempts, waiting about 100ms and then 200ms. A Retry is a plain value:
// it holds no state between calls, costs nothing to build, and is safe for
// concurrent use (as long as its hooks are).
//
// Retrying stops as soon as one of these holds, and Run then returns a
// [*RetryError] carrying the last error:
//
//   - op succeeded (Run returns nil);
//   - op's error is permanent ([Permanent] or [backoff.Permanent]) or wraps
//     [context.Canceled];
//   - Retryable (or the default classifier) says the error is not worth
//     retrying;
//   - MaxAttempts attempts have been made;
//   - the next wait would end after MaxElapsed since the first attempt began,
//     or after ctx's deadline (Retry never sleeps into a deadline it cannot
//     beat);
//   - ctx is done, before or during a wait.
type Retry struct {
	// MaxAttempts bounds the number of times op runs, the first included.
	// Zero means DefaultMaxAttempts (3); a negative value means no limit, so
	// that only MaxElapsed, the context and the classifier stop retrying.
	MaxAttempts int

	// InitialInterval is the wait before the second attempt, before jitter.
	// Zero means DefaultInitialInterval (100ms); a negative value means no
	// wait at all: every retry follows its failure at once.
	InitialInterval time.Duration

	// MaxInterval caps the wait before jitter (so a wait is at most
	// MaxInterval*(1+Jitter)). Zero means DefaultMaxInterval (10s); a
	// negative value means no cap, so that only MaxElapsed and the context
	// bound the waits. An InitialInterval above MaxInterval is lowered to
	// it.
	MaxInterval time.Duration

	// Multiplier scales the wait after each attempt. Zero (or NaN, or
	// +Inf) means DefaultMultiplier (2); a negative value turns the growth
	// off, for a constant wait, as 1 does; a value between 0 and 1 is
	// raised to 1, since the waits never shrink.
	Multiplier float64

	// Jitter is backoff's RandomizationFactor: each wait is drawn uniformly
	// from [w*(1-Jitter), w*(1+Jitter)]. Zero or NaN means DefaultJitter
	// (0.5); a negative value turns jitter off; values above 1 are lowered
	// to 1. Jitter keeps clients that failed together from retrying together.
	Jitter float64

	// Rand, if set, draws the jitter: each call returns a number in [0,1).
	// Nil means backoff's own draw from the math/rand global, which cannot
	// be replayed. Set it from a seeded source, such as
	// rand.New(rand.NewPCG(seed, 0)).Float64 from math/rand/v2, so that the
	// waits replay along with a chaos engine's seed. It runs on the caller's
	// goroutine, so it must be safe for concurrent use if the Retry is used
	// concurrently (a *rand.Rand is not).
	Rand func() float64

	// MaxElapsed bounds the time from the start of the first attempt to the
	// start of the last: no wait begins that would end after it. An attempt
	// in progress is not interrupted; put a [Timeout] outside the Retry for
	// a hard bound. Zero means the default, no limit; a negative value means
	// no limit too.
	MaxElapsed time.Duration

	// Retryable reports whether an error is worth another attempt. It is
	// consulted after the permanent and context.Canceled checks, which always
	// stop. Nil means retry everything except
	//   - errors that wrap context.DeadlineExceeded, unless they are an
	//     [ErrTimeout] from a Timeout inside the Retry: a timed out attempt
	//     is worth retrying while the caller's context lives;
	//   - [ErrOpen]: a breaker stays open far longer than a retry waits, and
	//     waiting on it would undo its point, failing fast.
	Retryable func(err error) bool

	// OnRetry, if set, is called before each wait with the number of the
	// attempt that just failed (1 for the first), its error, and the wait
	// that follows. It runs on the caller's goroutine.
	OnRetry func(attempt int, err error, wait time.Duration)
}

// Permanent marks err so that [Retry] (and [backoff.Retry]) stop at once
// instead of retrying it. It returns a [*backoff.PermanentError], so both
// packages recognize it, and errors.Is and errors.As still find err through
// it. Permanent(nil) is nil.
func Permanent(err error) error {
	return backoff.Permanent(err)
}

// RetryError is the error [Retry.Run] returns when it gives up: it carries the
// number of attempts and the last attempt's error, which errors.Is and
// errors.As find through it. When the context ended the retrying, it wraps the
// context's error too.
type RetryError struct {
	// Attempts is how many times op ran, at least 1.
	Attempts int
	// Err is the error of the last attempt.
	Err error
	// ctxErr is the context's error when the context stopped the retrying and
	// Err does not already say so.
	ctxErr error
	// earlier holds the injected errors of the attempts before the last,
	// for the settling layer outside (see "Injected faults" in the package
	// documentation).
	earlier ledger
}

// Error reports the attempts and the last error.
func (e *RetryError) Error() string {
	s := "resilience: gave up after " + strconv.Itoa(e.Attempts) + " attempt"
	if e.Attempts != 1 {
		s += "s"
	}
	s += ": " + e.Err.Error()
	if e.ctxErr != nil {
		s += " (" + e.ctxErr.Error() + ")"
	}
	return s
}

// Unwrap returns the last attempt's error and, when the context stopped the
// retrying, the context's error.
func (e *RetryError) Unwrap() []error {
	if e.ctxErr != nil {
		return []error{e.Err, e.ctxErr}
	}
	return []error{e.Err}
}

// Run runs op until it succeeds or retrying stops (see [Retry]). It returns
// nil on success and a [*RetryError] otherwise. The first attempt runs without
// touching backoff, so a call that succeeds at once costs one function call
// and, when no other settling layer is outside it, the one allocation of
// the context that marks it as the outermost.
//
// Run reports what became of the injected errors its attempts met: absorbed
// when a later attempt succeeds, escaped when it gives up, unless a
// [Fallback] or another Retry outside it decides (see "Injected faults" in
// the package documentation).
func (r Retry) Run(ctx context.Context, op func(context.Context) error) error {
	var start time.Time
	if r.MaxElapsed > 0 {
		start = time.Now()
	}
	ctx, outer := settling(ctx)
	err := op(ctx)
	if err == nil {
		return nil
	}
	limit := r.MaxAttempts
	if limit == 0 {
		limit = DefaultMaxAttempts
	}
	if limit == 1 || !r.retryable(err) {
		return r.giveUp(outer, &RetryError{Attempts: 1, Err: err})
	}

	b := r.backOff(ctx, start, limit)
	attempts, last := 1, err
	var earlier ledger
	replayed := false
	operation := func() error {
		// backoff runs the operation before its first wait; the first attempt
		// has run already, so hand backoff its (retryable) error.
		if !replayed {
			replayed = true
			return last
		}
		err := op(ctx)
		earlier.add(last)
		if err == nil {
			return nil
		}
		attempts, last = attempts+1, err
		if !r.retryable(err) {
			return backoff.Permanent(err)
		}
		return err
	}
	var notify backoff.Notify
	if r.OnRetry != nil {
		notify = func(_ error, wait time.Duration) { r.OnRetry(attempts, last, wait) }
	}
	if backoff.RetryNotify(operation, b, notify) == nil {
		earlier.settle(true)
		return nil
	}
	e := &RetryError{Attempts: attempts, Err: last, earlier: earlier}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(last, cerr) {
		e.ctxErr = cerr
	}
	return r.giveUp(outer, e)
}

// giveUp returns e, having let its injected errors escape if Run is the
// outermost settling layer; otherwise the layer outside settles them.
func (r Retry) giveUp(outer bool, e *RetryError) error {
	if outer {
		settleErr(e, false)
	}
	return e
}

// retryable reports whether err may be retried.
func (r Retry) retryable(err error) bool {
	var perm *backoff.PermanentError
	if errors.As(err, &perm) || errors.Is(err, context.Canceled) {
		return false
	}
	if r.Retryable != nil {
		return r.Retryable(err)
	}
	if errors.Is(err, ErrOpen) {
		return false
	}
	return !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout)
}

// backOff builds the schedule for the attempts after the first: backoff's
// exponential schedule, at most limit-1 retries (when limit > 0), no wait past
// the earlier of ctx's deadline and start+MaxElapsed, and none after ctx is
// done.
func (r Retry) backOff(ctx context.Context, start time.Time, limit int) backoff.BackOff {
	initial, maxInterval := r.InitialInterval, r.MaxInterval
	switch {
	case initial == 0:
		initial = DefaultInitialInterval
	case initial < 0:
		initial = 0
	}
	switch {
	case maxInterval == 0:
		maxInterval = DefaultMaxInterval
	case maxInterval < 0:
		maxInterval = uncapped
	}
	initial = min(initial, maxInterval)
	mult := r.Multiplier
	switch {
	case mult == 0 || math.IsNaN(mult) || math.IsInf(mult, 1):
		mult = DefaultMultiplier
	case mult < 1:
		mult = 1
	}
	jitter := r.Jitter
	switch {
	case jitter == 0 || math.IsNaN(jitter):
		jitter = DefaultJitter
	case jitter < 0:
		jitter = 0
	case jitter > 1:
		jitter = 1
	}
	factor := jitter
	if r.Rand != nil {
		factor = 0 // jitterBackOff applies it with r.Rand
	}
	var b backoff.BackOff = &backoff.ExponentialBackOff{
		InitialInterval:     initial,
		RandomizationFactor: factor,
		Multiplier:          mult,
		MaxInterval:         maxInterval,
		// backoff measures this from its Reset, which comes after the first
		// attempt; the deadline below measures it from start.
		MaxElapsedTime: max(r.MaxElapsed, 0),
		Stop:           backoff.Stop,
		Clock:          backoff.SystemClock,
	}
	if r.Rand != nil && jitter > 0 {
		b = &jitterBackOff{BackOff: b, factor: jitter, rand: r.Rand}
	}
	if limit > 0 {
		b = backoff.WithMaxRetries(b, uint64(limit-1))
	}
	deadline, ok := ctx.Deadline()
	if r.MaxElapsed > 0 {
		if d := start.Add(r.MaxElapsed); !ok || d.Before(deadline) {
			deadline, ok = d, true
		}
	}
	if ok {
		b = &deadlineBackOff{BackOff: b, deadline: deadline}
	}
	return backoff.WithContext(b, ctx)
}

// uncapped is the MaxInterval of a Retry whose MaxInterval is negative:
// about 73 years, far enough below the largest time.Duration that jitter
// (which at most doubles a wait) cannot overflow it.
const uncapped = time.Duration(math.MaxInt64 / 4)

// jitterBackOff draws each wait uniformly from [w*(1-factor), w*(1+factor)]
// with its own source, as backoff does with the math/rand global.
type jitterBackOff struct {
	backoff.BackOff
	factor float64
	rand   func() float64
}

func (b *jitterBackOff) NextBackOff() time.Duration {
	next := b.BackOff.NextBackOff()
	if next == backoff.Stop {
		return next
	}
	delta := b.factor * float64(next)
	return time.Duration(float64(next) - delta + b.rand()*2*delta)
}

// deadlineBackOff stops a schedule whose next wait would end after deadline.
type deadlineBackOff struct {
	backoff.BackOff
	deadline time.Time
}

func (b *deadlineBackOff) NextBackOff() time.Duration {
	next := b.BackOff.NextBackOff()
	if next != backoff.Stop && time.Now().Add(next).After(b.deadline) {
		return backoff.Stop
	}
	return next
}
