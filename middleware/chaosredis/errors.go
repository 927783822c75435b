package chaosredis

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// netError is the cause inside the *net.OpError of an injected fault: the
// injected error, which matches faults.ErrInjected, joined with the error a
// real network failure of the same kind carries (io.EOF, ECONNRESET or a
// deadline), so that code which tells network errors apart by errors.Is or
// by net.Error.Timeout, as go-redis's own retry logic does, sees the one it
// expects.
type netError struct {
	inj     error
	cause   error
	timeout bool
}

func (e *netError) Error() string   { return e.inj.Error() }
func (e *netError) Unwrap() []error { return []error{e.inj, e.cause} }
func (e *netError) Timeout() bool   { return e.timeout }
func (e *netError) Temporary() bool { return e.timeout }

// addr is a server address for net.OpError.
type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }

// opError returns the *net.OpError of operation op ("read" for a command,
// "dial" for a connection) that carries the injected error inj.
func opError(op string, server string, inj, cause error, timeout bool) error {
	var a net.Addr
	if server != "" {
		a = addr(server)
	}
	return &net.OpError{Op: op, Net: "tcp", Addr: a, Err: &netError{inj: inj, cause: cause, timeout: timeout}}
}

// decide evaluates the armed point p and carries out what fires. It returns
// nil when the call may go on, or the error it fails with: op and server
// say what the error is to look like, and cause is what an error fault's
// error matches besides faults.ErrInjected (see the package documentation).
func decide(ctx context.Context, p *chaos.Point, op, server string, cause error) error {
	d := p.Decide(ctx)
	if !d.Fired() {
		return nil
	}
	switch d.Kind() {
	case faults.KindLatency, faults.KindPanic:
		return d.Inject(ctx)
	case faults.KindHang:
		err := d.Inject(ctx)
		if err != nil && errors.Is(err, faults.ErrInjected) {
			// The hang reached its bound: what a client sees when a
			// server never answers is a read deadline.
			return opError(op, server, err, os.ErrDeadlineExceeded, true)
		}
		return err
	case faults.KindAbort, faults.KindBadConn:
		return opError(op, server, d.Err(), syscall.ECONNRESET, false)
	default: // error, and status and corrupt, which mean nothing to Redis
		return opError(op, server, d.Err(), cause, false)
	}
}
