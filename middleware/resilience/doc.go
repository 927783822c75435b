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
package resilience
