package chaospgx

import (
	"context"
	"errors"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// unsentError is the error of a fault that failed a call before pgx sent
// anything: the injected error, which matches faults.ErrInjected (and, for
// badconn and abort, driver.ErrBadConn and syscall.ECONNRESET), and which
// pgconn.SafeToRetry reports safe to retry, as pgx does for its own
// failures that happen before anything reaches the server.
type unsentError struct {
	err error
}

func (e *unsentError) Error() string { return e.err.Error() }

func (e *unsentError) Unwrap() error { return e.err }

// SafeToRetry reports true: the call never reached the server.
func (e *unsentError) SafeToRetry() bool { return true }

// check evaluates the point p, if armed, for a call that runs no single
// statement, and carries out what fires. It returns the error the call
// fails with, or nil when it may go on.
func check(ctx context.Context, p *chaos.Point) error {
	if !p.Armed() {
		return nil
	}
	d := p.Decide(ctx)
	return apply(ctx, &d)
}

// checkSQL is check for a call that runs the statement sql: the rules see
// its class in the label stmt, worked out only when a rule names p.
func checkSQL(ctx context.Context, p *chaos.Point, sql string) error {
	if !p.Armed() {
		return nil
	}
	d := p.DecideLabels(ctx, chaos.Label{Key: chaossql.StmtLabel, Value: chaossql.Classify(sql)})
	return apply(ctx, &d)
}

// apply carries out the decision d; see the package documentation.
func apply(ctx context.Context, d *chaos.Decision) error {
	switch d.Kind() {
	case faults.KindNone:
		return nil
	case faults.KindLatency, faults.KindHang, faults.KindPanic:
		err := d.Inject(ctx)
		if err != nil && errors.Is(err, faults.ErrInjected) {
			return &unsentError{err: err} // a hang that reached its bound
		}
		return err
	default: // error, badconn and abort; status and corrupt mean nothing to SQL
		return &unsentError{err: d.Err()}
	}
}
