package chaosgrpc

import (
	"context"
	"errors"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// MetadataInjected is the trailer key that marks a call a fault touched at
// a server. Its value names the fault's kind and the point, as the
// X-Faultline-Injected header of package chaoshttp does:
//
//	x-faultline-injected: error; point="/pkg.Service/Method"
//
// The server interceptors set it on every call they fail, delay or fail a
// message of, so that a client (grpc.Trailer) can tell an injected failure
// from a real one. Faults injected by the client interceptors set no
// trailer; their errors match [faults.ErrInjected] instead.
const MetadataInjected = "x-faultline-injected"

// statusError is the error a fault fails a call with. Its GRPCStatus gives
// the call's status, for status.Code and for the gRPC server that sends
// it, and it unwraps to the injected error (matching faults.ErrInjected)
// or to the context's error that ended a wait.
type statusError struct {
	st  *status.Status
	err error
}

func (e *statusError) Error() string { return e.st.Err().Error() }

// GRPCStatus returns the status of the failed call.
func (e *statusError) GRPCStatus() *status.Status { return e.st }

// Unwrap returns the injected error, or the context's error.
func (e *statusError) Unwrap() error { return e.err }

// failure returns the error fault d fails a call with: every kind but
// latency, hang and panic, which the caller carries out.
func (g *registry) failure(d chaos.Decision) error {
	f := d.Fault()
	code := g.cfg.code
	switch f.Kind {
	case faults.KindError, faults.KindBadConn:
		if f.Code != 0 {
			code = codeOf(f.Code)
		}
	case faults.KindStatus:
		code = codeOf(f.Code)
		if f.Body != "" {
			return &statusError{st: status.New(code, f.Body), err: d.Err()}
		}
	case faults.KindAbort:
		code = codes.Unavailable
		return &statusError{st: status.New(code, "connection reset: "+d.Err().Error()), err: d.Err()}
	case faults.KindCorrupt:
		code = codes.Internal
		return &statusError{st: status.New(code, "grpc: failed to unmarshal the received message: "+d.Err().Error()), err: d.Err()}
	case faults.KindPanic:
		code = codes.Internal
	}
	return &statusError{st: status.New(code, d.Err().Error()), err: d.Err()}
}

// waitError returns the error of a latency or hang wait that ended with
// err: a hang that reached its bound fails with the error code, a wait
// whose context ended with Canceled or DeadlineExceeded.
func (g *registry) waitError(d chaos.Decision, err error) error {
	if errors.Is(err, faults.ErrInjected) {
		return &statusError{st: status.New(g.cfg.code, err.Error()), err: err}
	}
	msg := "chaosgrpc: call ended during injected " + d.Kind().String() + " at " + d.Point() + ": " + err.Error()
	return &statusError{st: status.New(status.FromContextError(err).Code(), msg), err: err}
}

// httpCodes maps the HTTP statuses that have a gRPC counterpart to it.
var httpCodes = map[int]codes.Code{
	http.StatusBadRequest:          codes.InvalidArgument,
	http.StatusUnauthorized:        codes.Unauthenticated,
	http.StatusForbidden:           codes.PermissionDenied,
	http.StatusNotFound:            codes.NotFound,
	http.StatusConflict:            codes.Aborted,
	http.StatusTooManyRequests:     codes.ResourceExhausted,
	http.StatusInternalServerError: codes.Internal,
	http.StatusNotImplemented:      codes.Unimplemented,
	http.StatusBadGateway:          codes.Unavailable,
	http.StatusServiceUnavailable:  codes.Unavailable,
	http.StatusGatewayTimeout:      codes.DeadlineExceeded,
}

// codeOf returns the gRPC code an HTTP status maps to: codes.Unknown for a
// status without a counterpart.
func codeOf(httpStatus int) codes.Code {
	if c, ok := httpCodes[httpStatus]; ok {
		return c
	}
	return codes.Unknown
}

// injectedMD returns the trailer that marks a call d touched. The point
// is written as a quoted string: '"' and '\' are escaped, and bytes that
// no metadata value may hold become '?'.
func injectedMD(d chaos.Decision) metadata.MD {
	point := d.Point()
	b := make([]byte, 0, len(point)+len(`corrupt; point=""`)+2)
	b = append(b, d.Kind().String()...)
	b = append(b, `; point="`...)
	for i := 0; i < len(point); i++ {
		switch c := point[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < ' ' || c > '~':
			b = append(b, '?')
		default:
			b = append(b, c)
		}
	}
	b = append(b, '"')
	return metadata.Pairs(MetadataInjected, string(b))
}

// markUnary sets the injected trailer of a unary server call.
func markUnary(ctx context.Context, d chaos.Decision) {
	_ = grpc.SetTrailer(ctx, injectedMD(d)) // fails only outside a server call; nothing to mark then
}
