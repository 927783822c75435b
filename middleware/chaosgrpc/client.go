package chaosgrpc

import (
	"context"

	"google.golang.org/grpc"

	"github.com/faultline-go/faultline/chaos"
)

// UnaryClientInterceptor returns a [grpc.UnaryClientInterceptor] that
// evaluates a fault point of e for each call before it is sent. A nil e
// means [chaos.Default] at the time UnaryClientInterceptor is called.
// Install it with [grpc.WithChainUnaryInterceptor].
//
// The call's point is named "grpc.client " followed by the full method:
// "grpc.client /pkg.Service/Method", so that a rule can target a
// dependency's service ("grpc.client /pkg.Service/*") apart from the
// server's own points, and a process that both serves and calls a method
// has two points for it. While no rule names it, the interceptor costs a
// few nanoseconds and no allocation beyond the call's. When one fires, the
// call is not sent, except after a latency, and fails with an error whose
// status ([status.Code]) the package documentation lists and which matches
// [faults.ErrInjected]; an abort matches [syscall.ECONNRESET] as well. A
// panic fault panics in the caller.
//
// The interceptor runs outside gRPC's own retries: a retry policy in the
// service config does not retry a failure this interceptor injects, as it
// does one a server sends. Inject on the server to exercise a retry policy,
// and here to exercise the caller's own retries and fallbacks.
//
// The interceptor is safe for concurrent use.
func UnaryClientInterceptor(e *chaos.Engine, opts ...Option) grpc.UnaryClientInterceptor {
	g := newRegistry(e, opts, client)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx, accepted := forwardDirective(ctx)
		if !accepted && !g.e.Armed() {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		if p := g.method(method).call; accepted || p.Armed() {
			if d := g.decide(ctx, p); d.Fired() {
				if err := g.apply(ctx, d, false); err != nil {
					return err
				}
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// StreamClientInterceptor returns a [grpc.StreamClientInterceptor] that
// evaluates a fault point of e before each stream is opened, and with
// [WithMessageFaults] at each message the caller sends or receives. A nil
// e means [chaos.Default] at the time StreamClientInterceptor is called.
// Install it with [grpc.WithChainStreamInterceptor].
//
// Points are named as for [UnaryClientInterceptor], and a fault at the
// start of a stream fails the call that opens it. A fault at a message
// fails that SendMsg or RecvMsg with the fault's error, without sending or
// receiving the message, and every later one with the same error; it ends
// the real stream, as a broken connection would, so that the server sees
// it cancelled. A latency delays the message.
//
// The interceptor is safe for concurrent use; each stream it returns is as
// safe as gRPC's own.
func StreamClientInterceptor(e *chaos.Engine, opts ...Option) grpc.StreamClientInterceptor {
	g := newRegistry(e, opts, client)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		ctx, accepted := forwardDirective(ctx)
		if !accepted && !g.cfg.messages && !g.e.Armed() {
			return streamer(ctx, desc, cc, method, opts...)
		}
		m := g.method(method)
		if accepted || m.call.Armed() {
			if d := g.decide(ctx, m.call); d.Fired() {
				if err := g.apply(ctx, d, false); err != nil {
					return nil, err
				}
			}
		}
		if !g.cfg.messages {
			return streamer(ctx, desc, cc, method, opts...)
		}
		ctx, cancel := context.WithCancel(ctx)
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			cancel()
			return nil, err
		}
		return &clientStream{ClientStream: cs, messageFaults: messageFaults{g: g, m: m}, ctx: ctx, cancel: cancel, streams: desc.ServerStreams}, nil
	}
}
