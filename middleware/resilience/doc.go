// Package resilience helps a service survive the faults that faultline
// injects, and the real ones: retry with exponential backoff and jitter,
// circuit breaker, timeout, bulkhead and fallback, plus an [http.RoundTripper]
// that applies them to outbound requests.
//
// Retry is built on github.com/cenkalti/backoff/v4 and the circuit breaker on
// github.com/sony/gobreaker; this package adds the glue: one small [Strategy]
// interface, sentinel errors that work with [errors.Is], and defaults that
// suit an RPC client.
//
// Every strategy implements [Strategy]:
//
//	Run(ctx context.Context, op func(context.Context) error) error
//
// [Chain] nests strategies (the first is outermost) and [Do] runs an
// operation that returns a value. [Fallback] supplies a value when
// everything else has failed.
//
//   - [Retry]: retries with exponential backoff and jitter, bounded by
//     attempts, elapsed time and the context deadline.
//   - [Breaker] ([NewBreaker]): stops calling a dependency that keeps failing
//     ([ErrOpen], [ErrTooManyRequests]).
//   - [Timeout]: bounds each call ([ErrTimeout]).
//   - [Bulkhead] ([NewBulkhead]): bounds concurrent calls ([ErrBulkheadFull]).
//   - [Fallback] and [FallbackFunc]: replace a failure with a value or another
//     outcome.
//   - [Transport]: applies a strategy to outbound HTTP requests, retrying
//     only those that are safe to send again.
//
// # Configuration
//
// One rule decides how each is configured. A strategy that holds no state
// ([Retry], [Timeout], [Fallback]) is a plain value that people write: an
// exported struct whose zero fields mean the defaults, built at the call
// site and free to copy. One that holds state shared by every call
// ([Breaker], [Bulkhead]), and the [Transport] wrapper, is made by a
// function that takes what it cannot do without, then functional options:
// NewBreaker(name, opts...), NewBulkhead(limit, opts...),
// Transport(base, strategy, opts...).
//
// Every number, field or option, follows one rule: zero means the default,
// and a negative value turns the thing off (no limit, no wait, no cap, no
// jitter). Each field and option says what its default is and what off
// means for it.
//
// A typical client stack, outermost first:
//
//	breaker := resilience.NewBreaker("users", resilience.WithConsecutiveFailures(10))
//	bulkhead := resilience.NewBulkhead(16)
//	s := resilience.Chain(
//		resilience.Retry{MaxAttempts: 3},
//		breaker,  // shared by all calls
//		bulkhead, // shared by all calls
//		resilience.Timeout{Duration: 2 * time.Second},
//	)
//	user, err := resilience.Fallback[User]{Value: guest}.Do(ctx, s, fetchUser)
//
// See [Chain] for why this order.
//
// # Injected faults: absorbed or escaped
//
// The layers that can recover from a failure ([Retry], [Fallback],
// [FallbackFunc]) report what became of every injected error they meet, at
// the point it came from (see [faults.Absorbed] and [faults.Escaped]), so
// that chaos.PointStats reads as a coverage figure for resilience code:
// "sql.query: 24 injected, 23 absorbed, 1 escaped". The rule is one per
// call, settled once:
//
//   - A call that succeeds absorbs every injected error it met on the way:
//     the errors of a Retry's attempts before the one that succeeded, and
//     the error a fallback replaced together with the attempts behind it.
//   - A call that fails lets every injected error it met escape: the one it
//     returns and those of its earlier attempts. A fallback whose Func fails
//     lets the error it was given escape.
//   - Nested layers (a Retry inside a Fallback, a [Transport]'s Retry inside
//     a caller's Retry) settle once between them: an inner layer that fails
//     hands its errors, earlier attempts included, to the outer one in the
//     error it returns, and only the outermost decides. The outermost layer
//     is the first in the call's context; it marks the context it passes on.
//
// So when every call to a point goes through a Retry or a fallback,
// absorbed + escaped equals the error faults injected there. Breaker,
// Bulkhead and Timeout recover nothing and settle nothing: they pass op's
// error on. Their own errors ([ErrOpen], [ErrBulkheadFull], [ErrTimeout])
// are not injected faults and count in neither figure, not even a timeout
// that an injected latency caused: only error faults (error, abort,
// badconn, and a hang that reached its bound) are counted, and a Timeout
// that abandons an attempt never sees its error. Injected errors met
// without any of these layers count in neither figure either.
package resilience
