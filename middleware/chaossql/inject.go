package chaossql

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// ErrBrokenConn is matched by the error of every call on a connection that
// an injected badconn or abort fault broke. That error also matches
// [driver.ErrBadConn], so database/sql discards the connection and retries
// on another, and [faults.ErrInjected].
var ErrBrokenConn = errors.New("chaossql: connection broken by an injected fault")

// errBroken is the error calls on a broken connection return: one value,
// so that returning it allocates nothing.
var errBroken error = brokenError{}

type brokenError struct{}

func (brokenError) Error() string { return ErrBrokenConn.Error() }

func (brokenError) Is(target error) bool {
	return target == ErrBrokenConn || target == driver.ErrBadConn || target == faults.ErrInjected
}

// abortError is the error of an abort fault: the injected error, which
// matches faults.ErrInjected and syscall.ECONNRESET, made to match
// driver.ErrBadConn too so that database/sql treats the connection as cut.
type abortError struct {
	err error
}

func (e *abortError) Error() string { return e.err.Error() }

func (e *abortError) Is(target error) bool { return target == driver.ErrBadConn }

func (e *abortError) Unwrap() error { return e.err }

// evaluate evaluates the armed point p for a call on c (nil for a call that
// has no connection yet) on a statement of the given class (see
// [Classify]), or on no statement when kind is empty, and carries out what
// fires. It returns the
// error the call fails with, or nil when it may go on to the driver.
func evaluate(ctx context.Context, p *chaos.Point, kind string, c *conn) error {
	var d chaos.Decision
	if kind == "" {
		d = p.Decide(ctx)
	} else {
		d = p.DecideLabels(ctx, chaos.Label{Key: StmtLabel, Value: kind})
	}
	if !d.Fired() {
		return nil
	}
	return apply(ctx, &d, c)
}

// apply carries out the fault d decided for a call on c (nil for a call
// that has no connection yet) and returns the error the call fails with,
// or nil when it may go on to the driver. See the package documentation
// for what each kind does.
func apply(ctx context.Context, d *chaos.Decision, c *conn) error {
	switch d.Kind() {
	case faults.KindNone:
		return nil
	case faults.KindBadConn:
		c.breakConn()
		return d.Err()
	case faults.KindAbort:
		c.breakConn()
		return &abortError{err: d.Err()}
	case faults.KindLatency, faults.KindHang, faults.KindPanic:
		return d.Inject(ctx)
	default: // error, and status and corrupt, which mean nothing to SQL
		return d.Err()
	}
}
