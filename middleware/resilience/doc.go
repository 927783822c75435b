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
// [Chain] nests policies (the first is outermost) and [Do] runs an operation
// that returns a value. [Fallback] supplies a value when everything else has
// failed.
//
//   - [Retry]: retries with exponential backoff and jitter, bounded by
//     attempts, elapsed time and the context deadline. Stateless; a value.
//   - [Breaker] ([NewBreaker]): stops calling a dependency that keeps failing
//     ([ErrOpen], [ErrTooManyRequests]).
//   - [Timeout]: bounds each call ([ErrTimeout]).
//   - [Bulkhead] ([NewBulkhead]): bounds concurrent calls ([ErrBulkheadFull]).
//   - [Fallback] and [FallbackFunc]: replace a failure with a value or another
//     outcome.
//   - [Transport]: applies a policy to outbound HTTP requests, retrying only
//     those that are safe to send again.
//
// A typical client stack, outermost first:
//
//	p := resilience.Chain(
//		resilience.Retry{MaxAttempts: 3},
//		breaker,  // resilience.NewBreaker(...), shared by all calls
//		bulkhead, // resilience.NewBulkhead(16), shared by all calls
//		resilience.Timeout{Duration: 2 * time.Second},
//	)
//	user, err := resilience.Fallback[User]{Value: guest}.Do(ctx, p, fetchUser)
//
// See [Chain] for why this order.
package resilience
