package chaosgrpc

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// messageFaults is what the stream wrappers of WithMessageFaults share:
// the method's message points, and the fault that broke the stream.
type messageFaults struct {
	g      *registry
	m      *method
	failed atomic.Pointer[statusError] // the fault that broke the stream
}

// fault evaluates p in ctx for one message, and returns the error that
// fails it: that of an earlier fault that broke the stream, or of one that
// fires now. fired runs with the decision of a fault that fires, before it
// is applied; recover is passed on to apply.
func (f *messageFaults) fault(ctx context.Context, p *chaos.Point, recover bool, fired func(chaos.Decision)) error {
	if se := f.failed.Load(); se != nil {
		return se
	}
	if !p.Armed() {
		return nil
	}
	d := f.g.decide(ctx, p)
	if !d.Fired() {
		return nil
	}
	fired(d)
	err := f.g.apply(ctx, d, recover)
	if se, ok := err.(*statusError); ok {
		f.failed.CompareAndSwap(nil, se)
		return f.failed.Load()
	}
	return err
}

// serverStream is the grpc.ServerStream a handler gets with
// WithMessageFaults: it evaluates the message points before each message.
type serverStream struct {
	grpc.ServerStream
	messageFaults
}

// SendMsg implements grpc.ServerStream.
func (s *serverStream) SendMsg(msg any) error {
	return s.message(s.m.send, msg, s.ServerStream.SendMsg)
}

// RecvMsg implements grpc.ServerStream.
func (s *serverStream) RecvMsg(msg any) error {
	return s.message(s.m.recv, msg, s.ServerStream.RecvMsg)
}

// message evaluates p for msg and, unless a fault fails it, passes msg to
// call. A fault that fires sets the trailer that marks the call.
func (s *serverStream) message(p *chaos.Point, msg any, call func(any) error) error {
	err := s.fault(s.ServerStream.Context(), p, s.g.cfg.recover, func(d chaos.Decision) {
		s.ServerStream.SetTrailer(injectedMD(d))
	})
	if err != nil {
		return err
	}
	return call(msg)
}

// clientStream is the grpc.ClientStream a caller gets with
// WithMessageFaults: it evaluates the message points before each message,
// and ends the real stream, by cancelling the context it was opened with,
// when a fault breaks it or once it is over.
type clientStream struct {
	grpc.ClientStream
	messageFaults
	// ctx is the stream's context, kept for the stream's life (as
	// grpc.ClientStream keeps it) to decide message faults on; cancel ends
	// the stream.
	ctx     context.Context
	cancel  context.CancelFunc
	streams bool // the server sends a stream of messages
}

// SendMsg implements grpc.ClientStream.
func (s *clientStream) SendMsg(msg any) error {
	if err := s.messageFault(s.m.send); err != nil {
		return err
	}
	return s.ClientStream.SendMsg(msg)
}

// RecvMsg implements grpc.ClientStream.
func (s *clientStream) RecvMsg(msg any) error {
	if err := s.messageFault(s.m.recv); err != nil {
		return err
	}
	err := s.ClientStream.RecvMsg(msg)
	if err != nil || !s.streams {
		s.cancel() // the stream is over: release its context
	}
	return err
}

// messageFault evaluates p for one message, as fault does, and ends the
// stream when a fault breaks it.
func (s *clientStream) messageFault(p *chaos.Point) error {
	err := s.fault(s.ctx, p, false, func(d chaos.Decision) {
		if d.Kind() == faults.KindPanic {
			s.cancel() // the panic leaves the stream to nobody
		}
	})
	if _, ok := err.(*statusError); ok {
		s.cancel() // the stream is broken
	}
	return err
}
