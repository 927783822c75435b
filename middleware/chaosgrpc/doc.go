// Package chaosgrpc injects faults into gRPC servers and clients
// (google.golang.org/grpc) with the fault points of a [chaos.Engine].
//
// It gives four interceptors, unary and streaming at either end:
//
//	e := chaos.New()
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(e)),
//		grpc.ChainStreamInterceptor(chaosgrpc.StreamServerInterceptor(e)),
//	)
//	conn, err := grpc.NewClient(target,
//		grpc.WithChainUnaryInterceptor(chaosgrpc.UnaryClientInterceptor(e)),
//		grpc.WithChainStreamInterceptor(chaosgrpc.StreamClientInterceptor(e)),
//		…)
//
//	// later, from a test, a file or an admin endpoint:
//	e.Apply(chaos.MustParsePlan(`"/shop.Cart/Checkout"=5%error(down);"grpc.client /pay.Bank/*"=delay(2s)`))
//
// # Point names
//
// A server names a call's point after its full method,
// "/pkg.Service/Method"; a client after the same with "grpc.client " in
// front, "grpc.client /pkg.Service/Method". With [WithMessageFaults] the
// messages of a stream are points too: "grpc.server.recv /pkg.Service/Method"
// and "grpc.server.send …" at a server, "grpc.client.recv …" and
// "grpc.client.send …" at a client. A method that is not a well-formed
// full method, or one past the bound of [WithMaxPoints], is counted at
// "grpc.server (other)" or "grpc.client (other)". [WithPointName] names
// points another way.
//
// # Faults
//
// While no rule names a call's point, an interceptor costs a few
// nanoseconds and no allocation. When one fires:
//
//   - latency waits, then the call goes on. hang waits until the call's
//     context is done, for at most its bound (see [faults.Fault.HangLimit]),
//     and then fails the call with the error code. If the context ends
//     during either wait, the call fails with Canceled or DeadlineExceeded.
//     The kill switch ([chaos.Engine.Disable]) ends every wait at once, and
//     the call then goes on normally.
//   - error and badconn fail the call with the error code: [codes.Unavailable],
//     or that of [WithErrorCode], or the code of the HTTP status the fault
//     names (error(msg,429)), mapped as for status.
//   - status fails the call with the code its HTTP status maps to: 400
//     InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 404
//     NotFound, 409 Aborted, 429 ResourceExhausted, 500 Internal, 501
//     Unimplemented, 502 and 503 Unavailable, 504 DeadlineExceeded, any
//     other Unknown. Its body, if it has one, is the status message.
//   - abort fails the call with Unavailable and a message that starts
//     "connection reset", as a connection cut under the call does.
//   - corrupt fails the call with Internal and the message grpc-go gives a
//     message it cannot decode.
//   - panic panics with the injected error, as a bug in the handler would;
//     with [WithRecoverPanics], a server fails the call with Internal
//     instead.
//
// The errors of injected faults match [faults.ErrInjected] with
// errors.Is (those of a wait the call's context ended match the context's
// error instead), and carry their status for [status.Code] and
// [status.FromError]. A server sends the status to its client, with the
// [MetadataInjected] trailer. Rules can match labels copied from metadata
// with [WithMetadataLabel], and labels of the context ([chaos.WithLabels]).
package chaosgrpc
