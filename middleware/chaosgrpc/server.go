package chaosgrpc

import (
	"context"

	"google.golang.org/grpc"

	"github.com/faultline-go/faultline/chaos"
)

// UnaryServerInterceptor returns a [grpc.UnaryServerInterceptor] that
// evaluates a fault point of e for each call before the handler runs. A
// nil e means [chaos.Default] at the time UnaryServerInterceptor is
// called. Install it with [grpc.ChainUnaryInterceptor], after any
// interceptor that must see every call (authentication, logging, a panic
// recovery) and before those that should suffer the faults.
//
// The call's point is named after its full method, "/pkg.Service/Method"
// (see [WithPointName] and [WithMaxPoints]). While no rule names it, the
// interceptor costs a few nanoseconds and no allocation. When one fires,
// the handler does not run, except after a latency or a wait the kill
// switch ended, and the call fails
// with a status as the package documentation lists; the response carries
// the [MetadataInjected] trailer.
//
// The interceptor is safe for concurrent use.
func UnaryServerInterceptor(e *chaos.Engine, opts ...Option) grpc.UnaryServerInterceptor {
	g := newRegistry(e, opts, server)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, accepted := g.acceptDirective(ctx)
		if !accepted && !g.e.Armed() {
			return handler(ctx, req)
		}
		if p := g.method(info.FullMethod).call; accepted || p.Armed() {
			if d := g.decide(ctx, p); d.Fired() {
				markUnary(ctx, d)
				if err := g.apply(ctx, d, g.cfg.recover); err != nil {
					return nil, err
				}
			}
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns a [grpc.StreamServerInterceptor] that
// evaluates a fault point of e at the start of each stream, before the
// handler runs, and with [WithMessageFaults] at each message the handler
// sends or receives. A nil e means [chaos.Default] at the time
// StreamServerInterceptor is called. Install it with
// [grpc.ChainStreamInterceptor].
//
// Points are named as for [UnaryServerInterceptor], and faults at the
// start of a stream act as they do on a unary call. A fault at a message
// fails that SendMsg or RecvMsg with the fault's status, without sending
// or receiving the message, and every later one with the same status, as
// a broken stream would; a latency delays the message. The handler returns
// the error, as handlers do, and the client sees the status and the
// [MetadataInjected] trailer.
//
// The interceptor is safe for concurrent use.
func StreamServerInterceptor(e *chaos.Engine, opts ...Option) grpc.StreamServerInterceptor {
	g := newRegistry(e, opts, server)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, accepted := g.acceptDirective(ss.Context())
		if ctx != ss.Context() {
			ss = &contextStream{ServerStream: ss, ctx: ctx}
		}
		if !accepted && !g.cfg.messages && !g.e.Armed() {
			return handler(srv, ss)
		}
		m := g.method(info.FullMethod)
		if accepted || m.call.Armed() {
			if d := g.decide(ctx, m.call); d.Fired() {
				ss.SetTrailer(injectedMD(d))
				if err := g.apply(ctx, d, g.cfg.recover); err != nil {
					return err
				}
			}
		}
		if !g.cfg.messages {
			return handler(srv, ss)
		}
		return handler(srv, &serverStream{ServerStream: ss, messageFaults: messageFaults{g: g, m: m}})
	}
}

// contextStream is a server stream whose context carries a directive.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }
