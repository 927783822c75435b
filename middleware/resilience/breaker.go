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

// Default values of the [BreakerSettings] fields that are left zero.
const (
	DefaultConsecutiveFailures = 5
	DefaultOpenTimeout         = 60 * time.Second
)

// BreakerSettings configures [NewBreaker]. The zero value is a breaker that
// opens after 5 consecutive failures, stays open 60s, then lets one trial call
// through.
type BreakerSettings struct {
	// Name identifies the breaker in OnStateChange. It may be empty.
	Name string

	// ConsecutiveFailures opens the breaker when this many calls in a row
	// have failed. Zero means DefaultConsecutiveFailures (5) if FailureRatio
	// is zero too, and no consecutive-failure condition otherwise.
	ConsecutiveFailures int

	// FailureRatio opens the breaker when, among at least MinRequests calls
	// counted in the closed state, this share or more have failed. Zero means
	// no ratio condition; values above 1 never trip. Counts are cleared on
	// every state change and, if Interval is set, every Interval while
	// closed.
	FailureRatio float64

	// MinRequests is the number of calls FailureRatio needs before it can
	// trip. Zero means 1.
	MinRequests int

	// Interval, if positive, clears the closed-state counts every Interval
	// (a fixed window, not a sliding one). Zero means counts are cleared only
	// when the state changes.
	Interval time.Duration

	// OpenTimeout is how long the breaker stays open before it lets trial
	// calls through. Zero or negative means DefaultOpenTimeout (60s).
	OpenTimeout time.Duration

	// HalfOpenMaxRequests is both how many trial calls may run at once while
	// half-open and how many must succeed in a row to close the breaker; any
	// failing trial opens it again. Zero or negative means 1.
	HalfOpenMaxRequests int

	// IsSuccessful reports whether op's error counts as a success. Nil means
	// only a nil error does. Return true for errors that say nothing about
	// the dependency's health (a validation error, [ErrBulkheadFull]).
	IsSuccessful func(err error) bool

	// OnStateChange, if set, is called on every state change. It runs while
	// the breaker holds its lock, on the goroutine whose call caused the
	// change: keep it short, and do not call the same Breaker from it.
	OnStateChange func(name string, from, to State)
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

// NewBreaker returns a closed Breaker configured by s. Out-of-range settings
// are replaced by their defaults, so NewBreaker never fails.
func NewBreaker(s BreakerSettings) *Breaker {
	consecutive := s.ConsecutiveFailures
	if consecutive <= 0 && s.FailureRatio <= 0 {
		consecutive = DefaultConsecutiveFailures
	}
	ratio := s.FailureRatio
	minRequests := clampUint32(s.MinRequests, 1)
	st := gobreaker.Settings{
		Name:        s.Name,
		MaxRequests: clampUint32(s.HalfOpenMaxRequests, 1),
		Interval:    max(s.Interval, 0),
		Timeout:     s.OpenTimeout, // gobreaker: zero or negative means 60s
		ReadyToTrip: func(c gobreaker.Counts) bool {
			if consecutive > 0 && int64(c.ConsecutiveFailures) >= int64(consecutive) {
				return true
			}
			return ratio > 0 && c.Requests >= minRequests &&
				float64(c.TotalFailures) >= ratio*float64(c.Requests)
		},
		IsSuccessful: s.IsSuccessful,
	}
	if f := s.OnStateChange; f != nil {
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

// Name returns the name given in [BreakerSettings].
func (b *Breaker) Name() string {
	if b == nil || b.cb == nil {
		return ""
	}
	return b.cb.Name()
}
