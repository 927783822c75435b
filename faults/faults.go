// Package faults defines what happens when a fault point fires.
//
// A [Fault] is a plain, comparable value: a [Kind] and the few parameters
// that kind needs. The engine in package chaos decides when a point fires;
// this package says what firing means. [Fault.Inject] carries out the kinds
// any Go code can suffer (latency, error, panic, hang); middleware applies
// the transport kinds itself (an HTTP status, an aborted connection,
// driver.ErrBadConn, a corrupted payload), and Apply turns those into an
// error for code that is not a transport.
//
// Every error this package makes wraps [ErrInjected], so
//
//	errors.Is(err, faults.ErrInjected)
//
// tells an injected failure from a real one, and names the point it came
// from.
package faults

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"syscall"
	"time"

	"github.com/faultline-go/faultline/internal/wait"
)

// ErrInjected is the sentinel every injected error matches with errors.Is.
var ErrInjected = errors.New("faultline: injected fault")

// Kind is the kind of a fault. The zero Kind is [KindNone].
type Kind uint8

// The kinds of fault. Latency, error, panic, hang, pause, squeeze and
// custom apply anywhere; status, abort, bad connection and corrupt are
// transport faults that middleware applies.
const (
	KindNone    Kind = iota // no fault
	KindLatency             // wait Delay (plus up to Jitter), then go on
	KindError               // return an error
	KindPanic               // panic with an error value
	KindHang                // block until the context is done, for at most a bound
	KindStatus              // answer with an HTTP status without doing the work
	KindAbort               // cut the connection
	KindBadConn             // fail with driver.ErrBadConn so database/sql retries
	KindCorrupt             // truncate or alter a payload
	KindPause               // block until the point is released, for at most a bound
	KindSqueeze             // shorten the call's context deadline, or cancel it
	KindCustom              // run a function registered with Register
	numKinds
)

// NumKinds is the number of kinds, None included; kinds are numbered from 0
// to NumKinds-1, so a [NumKinds]T array can be indexed by Kind.
const NumKinds = int(numKinds)

var kindNames = [numKinds]string{"none", "latency", "error", "panic", "hang", "status", "abort", "badconn", "corrupt", "pause", "squeeze", "custom"}

// String returns the kind's name as the plan formats use it: "latency",
// "error", "panic", "hang", "status", "abort", "badconn", "corrupt",
// "pause", "squeeze" or "custom".
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind returns the kind named s. It accepts the names [Kind.String]
// returns and "delay" for Latency.
func ParseKind(s string) (Kind, error) {
	if s == "delay" {
		return KindLatency, nil
	}
	for k, name := range kindNames {
		if name == s && k != 0 {
			return Kind(k), nil
		}
	}
	return KindNone, fmt.Errorf("faults: unknown kind %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return marshalName(k, kindNames[:], "kind") }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error { return unmarshalName(k, b, ParseKind) }

// marshalName is the MarshalText of a [Kind] or a [Dist] v: its name in
// names, or for a v past them an error saying it is an unknown what.
func marshalName[T ~uint8](v T, names []string, what string) ([]byte, error) {
	if int(v) >= len(names) {
		return nil, fmt.Errorf("faults: unknown %s %d", what, uint8(v))
	}
	return []byte(names[v]), nil
}

// unmarshalName is the UnmarshalText of a [Kind] or a [Dist]: it sets *p
// to the value parse makes of b, or leaves it and returns parse's error.
func unmarshalName[T any](p *T, b []byte, parse func(string) (T, error)) error {
	v, err := parse(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Fault says what happens when a point fires. Only the fields of its Kind
// matter; the others are zero. The zero Fault is no fault. Faults are
// comparable values, safe to copy and to share between goroutines.
type Fault struct {
	// Kind is what happens.
	Kind Kind
	// Delay is the latency of a Latency fault, and the longest a Hang fault
	// blocks. For Hang, zero means the engine's bound: the policy's
	// MaxLatency if it has one, else [DefaultHangLimit].
	Delay time.Duration
	// Jitter, for a Latency fault, adds up to Jitter more delay, chosen
	// deterministically from the decision. Zero means none.
	Jitter time.Duration
	// Message is the text of an Error or Panic fault. Empty means a
	// message naming the kind.
	Message string
	// Code is the HTTP status of a Status fault, or the status an Error
	// fault answers with at an HTTP server. Zero means 500 there.
	Code int
	// Body is the response body of a Status fault. Empty means none.
	Body string
	// Dist is the distribution a Latency fault's delay is drawn from. The
	// zero Dist is [Uniform]: Delay plus up to Jitter. For [Normal], Delay
	// is the mean and Jitter the standard deviation; for [LogNormal],
	// Delay is the median and Shape the sigma; for [Pareto], Delay is the
	// scale (the least delay) and Shape the tail index alpha.
	Dist Dist
	// Shape is the shape parameter of a LogNormal (sigma) or Pareto
	// (alpha) latency, and zero for every other fault.
	Shape float64
	// Max caps the delay drawn by a Normal, LogNormal or Pareto latency.
	// Zero means the engine's cap: the policy's MaxLatency if it has one,
	// else [DefaultHangLimit]. Other faults have no Max.
	Max time.Duration
	// Name is the registered name of a Custom fault (see [Register]).
	Name string
}

// Latency returns a fault that waits d.
func Latency(d time.Duration) Fault { return Fault{Kind: KindLatency, Delay: d} }

// LatencyJitter returns a fault that waits d plus up to jitter more.
func LatencyJitter(d, jitter time.Duration) Fault {
	return Fault{Kind: KindLatency, Delay: d, Jitter: jitter}
}

// Error returns a fault that fails with an error saying msg.
func Error(msg string) Fault { return Fault{Kind: KindError, Message: msg} }

// Panic returns a fault that panics with an error saying msg.
func Panic(msg string) Fault { return Fault{Kind: KindPanic, Message: msg} }

// Pause returns a fault that blocks the call until the point is released
// (chaos.Point.Release), its context is done, or [DefaultHangLimit] (or
// the policy's MaxLatency) has passed.
func Pause() Fault { return Fault{Kind: KindPause} }

// PauseFor returns a Pause fault bounded by d instead.
func PauseFor(d time.Duration) Fault { return Fault{Kind: KindPause, Delay: d} }

// Squeeze returns a fault that gives the call's context a deadline at
// most d from now; a d of 0 cancels it (see [Cancel]).
func Squeeze(d time.Duration) Fault { return Fault{Kind: KindSqueeze, Delay: d} }

// Cancel returns a fault that cancels the call's context: Squeeze(0).
func Cancel() Fault { return Fault{Kind: KindSqueeze} }

// Custom returns a fault that runs the function registered as name (see
// [Register]).
func Custom(name string) Fault { return Fault{Kind: KindCustom, Name: name} }

// Hang returns a fault that blocks until the call's context is done, for
// at most [DefaultHangLimit] (or the policy's MaxLatency).
func Hang() Fault { return Fault{Kind: KindHang} }

// HangFor returns a fault that blocks until the call's context is done, for
// at most d.
func HangFor(d time.Duration) Fault { return Fault{Kind: KindHang, Delay: d} }

// DefaultHangLimit is the longest a Hang or Pause fault without a Delay of
// its own blocks, and the longest delay a Normal, LogNormal or Pareto
// latency without a Max draws, when no policy bounds them: no fault waits
// forever, even on a context that never ends.
const DefaultHangLimit = time.Minute

// HangLimit returns how long f, a Hang or Pause fault, blocks at most: its
// Delay, or [DefaultHangLimit] when that is zero. Other kinds return 0.
func (f Fault) HangLimit() time.Duration {
	switch {
	case f.Kind != KindHang && f.Kind != KindPause:
		return 0
	case f.Delay > 0:
		return f.Delay
	}
	return DefaultHangLimit
}

// HTTPStatus returns a fault that answers an HTTP request with code and body
// without running the handler or sending the request.
func HTTPStatus(code int, body string) Fault { return Fault{Kind: KindStatus, Code: code, Body: body} }

// Abort returns a fault that cuts the connection.
func Abort() Fault { return Fault{Kind: KindAbort} }

// BadConn returns a fault that fails a database call with driver.ErrBadConn.
func BadConn() Fault { return Fault{Kind: KindBadConn} }

// Corrupt returns a fault that truncates or alters a payload.
func Corrupt() Fault { return Fault{Kind: KindCorrupt} }

// IsZero reports whether f is no fault.
func (f Fault) IsZero() bool { return f == Fault{} }

// Validate returns an error naming the first field that is out of range for
// the fault's kind, or nil. A field the kind does not use must be zero.
func (f Fault) Validate() error {
	k := f.Kind
	switch {
	case k == KindNone || k >= numKinds:
		return fmt.Errorf("kind: %v is not a fault", k)
	case f.Delay < 0:
		return fmt.Errorf("delay: %v is negative", f.Delay)
	case f.Jitter < 0:
		return fmt.Errorf("jitter: %v is negative", f.Jitter)
	case k != KindLatency && f.Jitter != 0:
		return fmt.Errorf("jitter: %v faults have no jitter", k)
	case k != KindLatency && k != KindHang && k != KindPause && k != KindSqueeze && f.Delay != 0:
		return fmt.Errorf("delay: %v faults have no delay", k)
	case k != KindLatency && f.Dist != Uniform:
		return fmt.Errorf("dist: %v faults have no distribution", k)
	case k == KindLatency && f.Delay == 0 && f.Jitter == 0:
		return errors.New("delay: a latency fault needs a delay")
	case k != KindError && k != KindPanic && f.Message != "":
		return fmt.Errorf("message: %v faults have no message", k)
	case k != KindError && k != KindStatus && f.Code != 0:
		return fmt.Errorf("code: %v faults have no status code", k)
	case f.Code != 0 && (f.Code < 200 || f.Code > 999):
		return fmt.Errorf("code: %d is not an HTTP status in [200,999]", f.Code)
	case k == KindStatus && f.Code == 0:
		return errors.New("code: a status fault needs a status code")
	case k != KindStatus && f.Body != "":
		return fmt.Errorf("body: %v faults have no body", k)
	case k != KindLatency && f.Shape != 0:
		return fmt.Errorf("shape: %v faults have no shape", k)
	case k != KindLatency && f.Max != 0:
		return fmt.Errorf("max: %v faults have no max", k)
	case k != KindCustom && f.Name != "":
		return fmt.Errorf("name: %v faults have no name", k)
	case k == KindCustom:
		return checkCustom(f.Name)
	case k == KindLatency:
		return f.validateDist()
	}
	return nil
}

// Duration returns the delay of a Latency fault for the random word r. For
// the Uniform distribution it is Delay plus r modulo (Jitter+1), capped at
// the longest time.Duration; for the others, a draw from the distribution
// made from r (see [Dist]), at least 0 and at most Max (or
// [DefaultHangLimit] when Max is zero). Other kinds return 0.
func (f Fault) Duration(r uint64) time.Duration {
	if f.Kind != KindLatency {
		return 0
	}
	if f.Dist != Uniform {
		return f.draw(r)
	}
	if f.Jitter <= 0 {
		return f.Delay
	}
	return addSat(f.Delay, time.Duration(r%(uint64(f.Jitter)+1)))
}

// addSat returns a+b for b >= 0, capped at the longest time.Duration.
func addSat(a, b time.Duration) time.Duration {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

// String returns the fault in the plan text form, for example
// "delay(200ms)" or `error("timeout")`.
func (f Fault) String() string { return string(f.AppendText(nil)) }

// Inject carries out f at the named point:
//
//   - Latency waits Duration(r) and returns nil, or ctx.Err() if the
//     context is done first.
//   - Hang blocks until the context is done and returns ctx.Err(), or
//     until [Fault.HangLimit] has passed and returns an [*InjectedError],
//     as a call to a dependency that never answers would time out.
//   - Pause, having no point to be released at, blocks as Hang does (the
//     engine's points release it: see chaos.Point.Release).
//   - Squeeze, which cannot change the caller's context, acts as if the
//     call's context had been squeezed: it waits Delay (or until ctx is
//     done, returning ctx.Err()) and returns an [*InjectedError] that
//     matches context.DeadlineExceeded, or at once one that matches
//     context.Canceled for a Delay of 0.
//   - Custom runs the registered function and returns nil if it does, or
//     an [*InjectedError] that wraps its error; a name not registered
//     returns the InjectedError alone.
//   - Panic panics with an [*InjectedError].
//   - Every other kind returns an [*InjectedError]: for BadConn it also matches
//     driver.ErrBadConn, and for Abort syscall.ECONNRESET.
//
// None returns nil.
func (f Fault) Inject(ctx context.Context, point string, r uint64) error {
	switch f.Kind {
	case KindNone:
		return nil
	case KindLatency:
		return Sleep(ctx, f.Duration(r))
	case KindHang, KindPause:
		if err := Sleep(ctx, f.HangLimit()); err != nil {
			return err
		}
	case KindSqueeze:
		if err := Sleep(ctx, f.Delay); err != nil {
			return err
		}
	case KindCustom:
		if fn := Lookup(f.Name); fn != nil {
			if err := fn(ctx, point); err != nil {
				return NewInjectedError(point, f).WithCause(err)
			}
			return nil
		}
	case KindPanic:
		panic(NewInjectedError(point, f))
	}
	return NewInjectedError(point, f)
}

// Sleep waits for d or until ctx is done, whichever comes first, and returns
// ctx.Err() in the second case. It uses a timer, so testing/synctest
// controls it.
func Sleep(ctx context.Context, d time.Duration) error {
	if !wait.For(ctx, d, nil) {
		return ctx.Err()
	}
	return nil
}

// InjectedError is an injected failure. It matches [ErrInjected] with errors.Is;
// a BadConn error also matches driver.ErrBadConn and an Abort error
// syscall.ECONNRESET. Errors are immutable and may be shared.
type InjectedError struct {
	// Point is the name of the fault point that fired.
	Point string
	// Fault is the fault that fired.
	Fault Fault
	// outcomes is told what became of the fault; nil for none.
	outcomes Outcomes
	// cause is the error a Custom fault's function returned, or nil.
	cause error
}

// NewInjectedError returns the error that fault f makes at point.
func NewInjectedError(point string, f Fault) *InjectedError {
	return &InjectedError{Point: point, Fault: f}
}

// Outcomes counts what became of the faults injected at a point: absorbed
// by resilience code (a retry or a fallback succeeded after the fault), or
// escaped to the caller. The engine gives every error it injects its
// point's Outcomes; implementations must be safe for concurrent use.
type Outcomes interface {
	Absorbed()
	Escaped()
}

// WithOutcomes returns a copy of e that tells o what became of it (see
// [Absorbed] and [Escaped]).
func (e *InjectedError) WithOutcomes(o Outcomes) *InjectedError {
	c := *e
	c.outcomes = o
	return &c
}

// WithCause returns a copy of e that wraps cause, the error a Custom
// fault's function returned: Unwrap returns it, so errors.Is and errors.As
// see it, and Error ends with its text.
func (e *InjectedError) WithCause(cause error) *InjectedError {
	c := *e
	c.cause = cause
	return &c
}

// Absorbed records that resilience code absorbed the injected fault in
// err: a retry or a fallback succeeded after it. It does nothing when err
// holds no injected fault, so resilience code calls it on every error it
// recovers from.
func Absorbed(err error) {
	var ie *InjectedError
	if errors.As(err, &ie) && ie.outcomes != nil {
		ie.outcomes.Absorbed()
	}
}

// Escaped records that the injected fault in err reached the caller of
// resilience code, which gave up on it. It does nothing when err holds no
// injected fault.
func Escaped(err error) {
	var ie *InjectedError
	if errors.As(err, &ie) && ie.outcomes != nil {
		ie.outcomes.Escaped()
	}
}

// Error returns "faultline: injected KIND at POINT: MESSAGE".
func (e *InjectedError) Error() string {
	msg := e.Fault.Message
	switch {
	case e.Fault.Kind == KindCustom && e.cause != nil:
		msg = e.Fault.Name + ": " + e.cause.Error()
	case e.Fault.Kind == KindCustom:
		msg = e.Fault.Name
	case e.Fault.Kind == KindSqueeze && e.Fault.Delay == 0:
		msg = "context canceled"
	case e.Fault.Kind == KindSqueeze:
		msg = "deadline squeezed to " + e.Fault.Delay.String()
	case msg != "":
	case e.Fault.Kind == KindStatus:
		msg = fmt.Sprintf("status %d", e.Fault.Code)
	case e.Fault.Kind == KindBadConn:
		msg = driver.ErrBadConn.Error()
	case e.Fault.Kind == KindAbort:
		msg = "connection reset"
	default:
		return fmt.Sprintf("faultline: injected %v at %s", e.Fault.Kind, e.Point)
	}
	return fmt.Sprintf("faultline: injected %v at %s: %s", e.Fault.Kind, e.Point, msg)
}

// Is reports whether target is [ErrInjected].
func (e *InjectedError) Is(target error) bool { return target == ErrInjected }

// Unwrap returns driver.ErrBadConn for a BadConn fault,
// syscall.ECONNRESET for an Abort fault, context.DeadlineExceeded for a
// Squeeze fault (context.Canceled for one of Delay 0), the function's
// error for a Custom fault, and nil otherwise.
func (e *InjectedError) Unwrap() error {
	switch e.Fault.Kind {
	case KindSqueeze:
		if e.Fault.Delay == 0 {
			return context.Canceled
		}
		return context.DeadlineExceeded
	case KindCustom:
		return e.cause
	case KindBadConn:
		return driver.ErrBadConn
	case KindAbort:
		return syscall.ECONNRESET
	}
	return nil
}
