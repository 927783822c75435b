package resilience

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/faultline-go/faultline/middleware/internal/directive"
)

// StatusError is the error a [Transport] attempt fails with when the response
// status is one that [WithFailureStatus] classifies as a failure. Strategies see
// it (a [Retry] retries it, a [Breaker] counts it); the caller of RoundTrip
// does not, because when the strategy gives up on such a failure RoundTrip
// returns the response itself.
type StatusError struct {
	// StatusCode is the response's status code.
	StatusCode int
}

// Error reports the status code and its text.
func (e *StatusError) Error() string {
	return "resilience: server responded " + strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
}

// TransientStatus reports whether code says the server may well succeed if
// asked again: 408 Request Timeout, 429 Too Many Requests, 500, 502 Bad
// Gateway, 503 Service Unavailable and 504 Gateway Timeout. Pass it to
// [WithFailureStatus].
func TransientStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// TransportOption configures [Transport].
type TransportOption interface {
	apply(*transport)
}

type transportOptionFunc func(*transport)

func (f transportOptionFunc) apply(t *transport) { f(t) }

// WithFailureStatus makes an attempt whose response status satisfies isFailure
// fail with a [*StatusError], so the strategy retries it or counts it against
// the breaker; [TransientStatus] is the usual choice. The response of a failed
// attempt that is retried is drained and closed. Without this option (or with
// a nil isFailure) every response is a success, as with [http.Client].
func WithFailureStatus(isFailure func(code int) bool) TransportOption {
	return transportOptionFunc(func(t *transport) { t.isFailure = isFailure })
}

// Transport returns an [http.RoundTripper] that sends each request through base
// under s: s decides whether, how often and for how long base is called. A nil
// base means [http.DefaultTransport]; a nil s sends each request once.
//
// Only requests that are safe to send again are sent more than once: the
// method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) or the request
// carries an Idempotency-Key or X-Idempotency-Key header, and the body is
// empty or can be replayed (req.GetBody is set, as [http.NewRequest] does for
// in-memory bodies). Any other request fails permanently on its first failure,
// which stops a [Retry] at once; a POST is never repeated just because its
// body could be.
//
// When s gives up after a failure status (see [WithFailureStatus]), RoundTrip
// returns that last response and a nil error, as a plain transport would; the
// responses of earlier attempts are drained and closed. When s gives up on an
// error, or rejects the call ([ErrOpen], [ErrBulkheadFull]), RoundTrip returns
// s's error. The request body is closed in every case, as
// [http.RoundTripper] requires.
//
// The injected errors that s meets are counted as absorbed or escaped at
// their points as the package documentation describes ("Injected faults"),
// by the [Retry] or fallback in s, or by one around the request's context;
// the earlier attempts of a RoundTrip that ends with a failure status
// escape. A status fault from a chaos transport is a response, not an
// error, so it counts in neither figure.
//
// A [Timeout] in s bounds the wait for the response headers; reading the body
// is bounded by the request's own context, not by s. The returned
// RoundTripper is safe for concurrent use if base and s are, and it forwards
// CloseIdleConnections to base.
func Transport(base http.RoundTripper, s Strategy, opts ...TransportOption) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if s == nil {
		s = nop{}
	}
	t := &transport{base: base, strategy: s}
	for _, o := range opts {
		if o != nil {
			o.apply(t)
		}
	}
	return t
}

var _ http.RoundTripper = (*transport)(nil)

type transport struct {
	base      http.RoundTripper
	strategy  Strategy
	isFailure func(code int) bool
}

// RoundTrip implements [http.RoundTripper].
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Forward the directive the request's context carries (see
	// chaos.AcceptDirective) in its baggage, unchanged, on every attempt.
	req, _ = directive.ForwardRequest(req)
	rt := &roundTrip{t: t, req: req, replayable: replayable(req)}
	err := t.strategy.Run(req.Context(), rt.attempt)
	return rt.finish(err)
}

// CloseIdleConnections closes base's idle connections if base can.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// replayable reports whether req may be sent more than once.
func replayable(req *http.Request) bool {
	if !idempotent(req) {
		return false
	}
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace,
		http.MethodPut, http.MethodDelete:
		return true
	}
	// Present even with no value, as net/http's own retry rule reads them.
	_, ok := req.Header["Idempotency-Key"]
	if !ok {
		_, ok = req.Header["X-Idempotency-Key"]
	}
	return ok
}

var (
	// errRoundTripDone fails an attempt that starts or ends after RoundTrip
	// has returned (one a Timeout abandoned); nobody sees it.
	errRoundTripDone = errors.New("resilience: round trip already finished")
	// errNotReplayable fails a second attempt at a request that is not safe to
	// send again, should a strategy make one despite the permanent error.
	errNotReplayable = errors.New("resilience: request cannot be sent again")
	// errNoResponse is returned when p reports success without a response,
	// which happens when a FallbackFunc swallows a failure.
	errNoResponse = errors.New("resilience: strategy succeeded but no response was received")
)

// roundTrip is the state of one RoundTrip call across its attempts. The
// strategy may run attempts on other goroutines (Timeout) and abandon them, so
// the shared fields are guarded by mu.
type roundTrip struct {
	t          *transport
	req        *http.Request
	replayable bool

	mu         sync.Mutex
	attempts   int
	bodySent   bool // req.Body was handed to base, which closes it
	done       bool // finish has run
	last       *http.Response
	lastCancel context.CancelFunc
	lastFailed bool // last has a failure status
}

// attempt sends the request once.
func (rt *roundTrip) attempt(ctx context.Context) error {
	rt.mu.Lock()
	if rt.done {
		rt.mu.Unlock()
		return errRoundTripDone
	}
	rt.attempts++
	n := rt.attempts
	prev, prevCancel := rt.last, rt.lastCancel
	rt.last, rt.lastCancel = nil, nil
	if n == 1 {
		rt.bodySent = true
	}
	rt.mu.Unlock()
	discard(prev, prevCancel)
	if n > 1 && !rt.replayable {
		return Permanent(errNotReplayable)
	}

	// The attempt's context follows ctx while the round trip runs, and only
	// the request's own context afterwards, so that the strategy canceling ctx
	// when it returns (as Timeout does) does not cut the body off.
	actx, cancel := context.WithCancel(rt.req.Context())
	r, err := rt.request(actx, n)
	if err != nil {
		cancel()
		return Permanent(err)
	}
	stop := context.AfterFunc(ctx, cancel)
	resp, err := rt.t.base.RoundTrip(r)
	interrupted := !stop()
	if err == nil && interrupted {
		discard(resp, nil)
		err = ctx.Err()
	}
	if err != nil {
		cancel()
		if cerr := ctx.Err(); cerr != nil {
			err = cerr // not the Canceled that cancel caused
		}
		return rt.failure(err)
	}

	failed := rt.t.isFailure != nil && rt.t.isFailure(resp.StatusCode)
	rt.mu.Lock()
	if rt.done || n != rt.attempts {
		rt.mu.Unlock()
		discard(resp, cancel)
		return errRoundTripDone
	}
	rt.last, rt.lastCancel, rt.lastFailed = resp, cancel, failed
	rt.mu.Unlock()
	if failed {
		return rt.failure(&StatusError{StatusCode: resp.StatusCode})
	}
	return nil
}

// request returns the request for attempt n (from 1) with context ctx.
func (rt *roundTrip) request(ctx context.Context, n int) (*http.Request, error) {
	if n == 1 {
		return rt.req.WithContext(ctx), nil
	}
	r := rt.req.Clone(ctx)
	if rt.req.Body != nil && rt.req.Body != http.NoBody {
		body, err := rt.req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("resilience: getting the request body again: %w", err)
		}
		r.Body = body
	}
	return r, nil
}

// failure returns err, marked permanent if the request cannot be sent again.
func (rt *roundTrip) failure(err error) error {
	if !rt.replayable {
		return Permanent(err)
	}
	return err
}

// finish turns the strategy's outcome into RoundTrip's.
func (rt *roundTrip) finish(err error) (*http.Response, error) {
	rt.mu.Lock()
	rt.done = true
	resp, cancel, failed, bodySent := rt.last, rt.lastCancel, rt.lastFailed, rt.bodySent
	rt.last, rt.lastCancel = nil, nil
	rt.mu.Unlock()

	if !bodySent && rt.req.Body != nil {
		rt.req.Body.Close()
	}
	var se *StatusError
	if resp != nil && (err == nil || failed && errors.As(err, &se)) {
		if err != nil && rt.req.Context().Value(settleKey{}) != nil {
			// The strategy left the injected errors of its earlier
			// attempts to a layer outside, which will see a response and
			// no error: they escaped with the failure status.
			settleErr(err, false)
		}
		resp.Body = newCancelBody(resp.Body, cancel)
		return resp, nil
	}
	discard(resp, cancel)
	if err == nil {
		err = errNoResponse
	}
	return nil, err
}

// discard drains a little of resp's body, so that its connection can be
// reused, closes it, then releases its context.
func discard(resp *http.Response, cancel context.CancelFunc) {
	if resp != nil {
		io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
	}
	if cancel != nil {
		cancel()
	}
}

// cancelBody releases an attempt's context when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// cancelRWBody keeps the Write method of a 101 Switching Protocols body.
type cancelRWBody struct {
	cancelBody
	w io.Writer
}

func (b *cancelRWBody) Write(p []byte) (int, error) { return b.w.Write(p) }

func newCancelBody(body io.ReadCloser, cancel context.CancelFunc) io.ReadCloser {
	if w, ok := body.(io.ReadWriteCloser); ok {
		return &cancelRWBody{cancelBody{body, cancel}, w}
	}
	return &cancelBody{body, cancel}
}
