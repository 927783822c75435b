package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ErrTimeout is returned when a [Timeout]'s deadline passes before op returns.
// It also matches context.DeadlineExceeded, and has a Timeout() method that
// reports true, like a net.Error timeout.
var ErrTimeout error = &timeoutError{aliasError{"resilience: timeout", context.DeadlineExceeded}}

// Timeout is a [Strategy] that bounds how long a call may take: op gets a context
// that is canceled after Duration, and Run returns [ErrTimeout] (which also
// matches context.DeadlineExceeded) when that deadline passes first. When the
// caller's own context ends first, Run returns the caller's context error
// instead, so that an outer [Retry] stops rather than retrying.
//
// By default Run returns at the deadline even if op ignores its context: op
// runs on a goroutine of its own, which Run leaves behind at the deadline and
// which ends when op returns; its result is then dropped (a panic in it, with
// no caller left to receive it, crashes the program as any goroutine's panic
// does). A panic in op before the deadline is re-raised in the caller. An op
// that never returns leaks its goroutine, so op should still honor its
// context.
//
// With Inline set, op runs on the caller's goroutine and Run waits for it to
// return, however late: no goroutine and fewer allocations, but the bound
// holds only if op honors its context.
//
// A zero Duration means the default, no bound, and so does a negative one:
// Run then calls op directly. A Timeout is a plain value, safe for
// concurrent use.
type Timeout struct {
	// Duration is the longest a call may take. Zero means the default, no
	// bound; a negative Duration means no bound too.
	Duration time.Duration
	// Inline runs op on the caller's goroutine and waits for it (see above).
	Inline bool
}

// Run runs op with a deadline Duration from now. It returns op's error if op
// returns first, [ErrTimeout] if the deadline passes first, and ctx's error if
// ctx ends first. When op returns exactly at the deadline, either of op's
// result and ErrTimeout may be returned.
func (t Timeout) Run(ctx context.Context, op func(context.Context) error) error {
	if t.Duration <= 0 {
		return op(ctx)
	}
	tctx, cancel := context.WithTimeout(ctx, t.Duration)
	defer cancel()
	if t.Inline {
		return timeoutResult(ctx, tctx, op(tctx))
	}

	c := &timeoutCall{done: make(chan struct{})}
	go c.run(tctx, op)
	select {
	case <-c.done:
	case <-tctx.Done():
		if c.state.CompareAndSwap(callRunning, callAbandoned) {
			if err := ctx.Err(); err != nil {
				return err
			}
			return ErrTimeout
		}
		<-c.done // op returned just now: its result is on the way
	}
	if c.panicked {
		panic(c.panicValue)
	}
	return timeoutResult(ctx, tctx, c.err)
}

// timeoutResult turns op's error into Run's: a failure after tctx's own
// deadline passed is a timeout, and one after ctx ended is ctx's error.
func timeoutResult(ctx, tctx context.Context, err error) error {
	if err == nil || tctx.Err() == nil {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return err
		}
		return fmt.Errorf("%w: %w", cerr, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout // op reported our deadline: say so the same way as when it is abandoned
	}
	return fmt.Errorf("%w: %w", ErrTimeout, err)
}

// States of a timeoutCall. Whoever moves it out of callRunning owns the
// result: the op's goroutine delivers it, or the caller abandons it.
const (
	callRunning int32 = iota
	callDelivered
	callAbandoned
)

// timeoutCall is one op run by Timeout on its own goroutine.
type timeoutCall struct {
	state      atomic.Int32
	done       chan struct{} // closed once the result is delivered
	err        error
	panicked   bool
	panicValue any
}

func (c *timeoutCall) run(ctx context.Context, op func(context.Context) error) {
	returned := false
	defer func() {
		if returned {
			return
		}
		r := recover() // nil: op called runtime.Goexit
		if !c.state.CompareAndSwap(callRunning, callDelivered) {
			if r != nil {
				panic(r) // the caller has gone: nobody else can report it
			}
			return
		}
		if r == nil {
			r = errGoexit
		}
		c.panicked, c.panicValue = true, r
		close(c.done)
	}()
	err := op(ctx)
	returned = true
	if c.state.CompareAndSwap(callRunning, callDelivered) {
		c.err = err
		close(c.done)
	}
}

// errGoexit is the panic value Timeout raises in the caller when op, on its
// own goroutine, called runtime.Goexit (as t.FailNow does).
var errGoexit = errors.New("resilience: timeout: op called runtime.Goexit")
