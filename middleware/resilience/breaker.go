package resilience

import (
	"context"
	"strconv"
	"time"

	"github.com/sony/gobreaker"
)

// Breaker errors. Each also matches the gobreaker error it stands for, so
// errors.Is(err, ErrOpen) and errors.Is(err, gobreaker.ErrOpenState) are both
// true for a rejection by an open breaker.
var (
	// ErrOpen is returned without running op while the breaker is open.
	ErrOpen error = &aliasError{"resilience: circuit breaker is open", gobreaker.ErrOpenState}

	// ErrTooManyRequests is returned without running op while the breaker is
	// half-open and already running its quota of trial calls.
	ErrTooManyRequests error = &aliasError{"resilience: circuit breaker is half-open and busy", gobreaker.ErrTooManyRequests}
)

// State is the state of a [Breaker].
type State int

// The states of a [Breaker].
const (
	// StateClosed lets every call through and counts failures.
	StateClosed State = iota
	// StateHalfOpen lets a few trial calls through after the open timeout.
	StateHalfOpen
	// StateOpen rejects every call with ErrOpen.
	StateOpen
)

// String returns "closed", "half-open" or "open".
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateHalfOpen:
		return "half-open"
	case StateOpen:
		return "open"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

func stateOf(s gobreaker.State) State {
	switch s {
	case gobreaker.StateHalfOpen:
		return StateHalfOpen
	case gobreaker.StateOpen:
		return StateOpen
	}
	return StateClosed
}

// Default values of the [NewBreaker] options that are left out or zero.
const (
	DefaultConsecutiveFailures = 5
	DefaultOpenTimeout         = 60 * time.Second
)

// BreakerOption configures [NewBreaker]. Options are made only by the
// functions of this package; each says what zero and negative values mean.
// Without any, a breaker opens after 5 consecutive failures, stays open
// 60s, then lets one trial call through.
type BreakerOption interface {
	apply(*breakerConfig)
}

type breakerOptionFunc func(*breakerConfig)

func (f breakerOptionFunc) apply(c *breakerConfig) { f(c) }

// breakerConfig is what the options set.
type breakerConfig struct {
	consecutive   int
	ratio         float64
	minRequests   int
	interval      time.Duration
	openTimeout   time.Duration
	halfOpen      int
	isSuccessful  func(err error) bool
	onStateChange func(name string, from, to State)
}

// WithConsecutiveFailures opens the breaker when n calls in a row have
// failed. Zero means the default: DefaultConsecutiveFailures (5) when
// [WithFailureRatio] sets no ratio condition, and no consecutive-failure
// condition when it does. A negative n means no consecutive-failure
// condition; with no ratio condition either, the breaker never opens.
func WithConsecutiveFailures(n int) BreakerOption {
	return breakerOptionFunc(func(c *breakerConfig) { c.consecutive = n })
}

// WithFailureRatio opens the breaker when, among at least minRequests
// calls counted in the closed state, a share of ratio or more have failed.
// Counts are cleared on every state change and every [WithCountInterval]
// while closed. A ratio of zero means the default, no ratio condition, and
// so does a negative one; a ratio above 1 never trips. A minRequests of
// zero means the default, 1, and a negative one means no minimum (which
// comes to the same, since the condition is checked after a failure).
func WithFailureRatio(ratio float64, minRequests int) BreakerOption {
	return breakerOptionFunc(func(c *breakerConfig) { c.ratio, c.minRequests = ratio, minRequests })
}

// WithCountInterval clears the closed-state counts every d (a fixed
// window, not a sliding one). Zero means the default, no interval: counts
// are cleared only when the state changes; a negative d means no interval
// too.
func WithCountInterval(d time.Duration) BreakerOption {
	return breakerOptionFunc(func(c *breakerConfig) { c.interval = d })
}

// WithOpenTimeout sets how long the breaker stays open before it lets
// trial calls through. Zero means the default, DefaultOpenTimeout (60s). A
// negative d means no open period to speak of: the breaker turns half-open
// a nanosecond after it opens, so that the next call is a trial call.
func WithOpenTimeout(d time.Duration) BreakerOption {
	return breakerOptionFunc(func(c *breakerConfig) { c.openTimeout = d })
}

// WithHalfOpenRequests sets both how many trial calls may run at once
// while the breaker is half-open and how many must succeed in a row to
// close it; any failing trial opens it again. Zero means the default, 1. A
// negative n means 1 as well: a half-open breaker with no trial call could
// never close, so there is no "off" here.
func WithHalfOpenRequests(n int) BreakerOption {
	return breakerOptionFunc(func(c *breakerConfig) { c.halfOpen = n })
}

// WithIsSuccessful sets what counts as a success: isSuccessful reports
// whether op's error does. Without the option, or with nil, only a nil
// error does. Return true for errors that say nothing about the
// dependency's health (a validation error, [ErrBulkheadFull]).
func WithIsSuccessful(isSuccessful func(err error) bool) BreakerOption {
	return breakerOptionFunc(func(c *breakerConfig) { c.isSuccessful = isSuccessful })
}

// WithOnStateChange calls f on every state change, with the breaker's
// name. It runs while the breaker holds its lock, on the goroutine whose
// call caused the change: keep it short, and do not call the same Breaker
// from it. Without the option, or with nil, nothing is called.
func WithOnStateChange(f func(name string, from, to State)) BreakerOption {
	return breakerOptionFunc(func(c *breakerConfig) { c.onStateChange = f })
}

// Breaker is a circuit breaker [Strategy] built on gobreaker: it counts
// failures, and once they meet the trip condition it rejects calls with
// [ErrOpen] for a while instead of running them, then lets trial calls
// through to see whether the dependency has recovered.
//
// A Breaker is safe for concurrent use and is meant to be shared by every
// call to the same dependency. Each call takes gobreaker's mutex twice (before
// and after op). A nil or zero Breaker lets every call through and always
// reports [StateClosed]. If op panics, the call counts as a failure and the
// panic goes on.
type Breaker struct {
	cb *gobreaker.CircuitBreaker
}

// NewBreaker returns a closed Breaker called name, configured by opts (see
// [BreakerOption] for the defaults). The name identifies the breaker to
// [WithOnStateChange] and [Breaker.Name], and may be empty. Out-of-range
// values are replaced by their defaults, so NewBreaker never fails.
func NewBreaker(name string, opts ...BreakerOption) *Breaker {
	var c breakerConfig
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	ratio := max(c.ratio, 0)
	consecutive := c.consecutive
	if consecutive == 0 && !(ratio > 0) {
		consecutive = DefaultConsecutiveFailures
	}
	minRequests := clampUint32(c.minRequests, 1)
	timeout := c.openTimeout // gobreaker: zero means 60s
	if timeout < 0 {
		timeout = time.Nanosecond
	}
	st := gobreaker.Settings{
		Name:        name,
		MaxRequests: clampUint32(c.halfOpen, 1),
		Interval:    max(c.interval, 0),
		Timeout:     timeout,
		ReadyToTrip: func(n gobreaker.Counts) bool {
			if consecutive > 0 && int64(n.ConsecutiveFailures) >= int64(consecutive) {
				return true
			}
			return ratio > 0 && n.Requests >= minRequests &&
				float64(n.TotalFailures) >= ratio*float64(n.Requests)
		},
		IsSuccessful: c.isSuccessful,
	}
	if f := c.onStateChange; f != nil {
		st.OnStateChange = func(name string, from, to gobreaker.State) {
			f(name, stateOf(from), stateOf(to))
		}
	}
	return &Breaker{cb: gobreaker.NewCircuitBreaker(st)}
}

// clampUint32 returns n as a uint32, with def for n < 1.
func clampUint32(n, def int) uint32 {
	switch {
	case n < 1:
		return uint32(def)
	case int64(n) > int64(^uint32(0)):
		return ^uint32(0)
	}
	return uint32(n)
}

// Run runs op if the breaker lets it through and records the outcome. It
// returns op's error, or [ErrOpen] or [ErrTooManyRequests] without running op.
func (b *Breaker) Run(ctx context.Context, op func(context.Context) error) error {
	if b == nil || b.cb == nil {
		return op(ctx)
	}
	_, err := b.cb.Execute(func() (any, error) { return nil, op(ctx) })
	switch err {
	case gobreaker.ErrOpenState:
		return ErrOpen
	case gobreaker.ErrTooManyRequests:
		return ErrTooManyRequests
	}
	return err
}

// State returns the breaker's current state, moving it from open to half-open
// if the open timeout has passed.
func (b *Breaker) State() State {
	if b == nil || b.cb == nil {
		return StateClosed
	}
	return stateOf(b.cb.State())
}

// Name returns the name given to [NewBreaker].
func (b *Breaker) Name() string {
	if b == nil || b.cb == nil {
		return ""
	}
	return b.cb.Name()
}
