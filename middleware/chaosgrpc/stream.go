package chaosgrpc

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// serverStream is the grpc.ServerStream a handler gets with
// WithMessageFaults: it evaluates the message points before each message.
type serverStream struct {
	grpc.ServerStream
	g      *registry
	m      *method
	failed atomic.Pointer[statusError] // the fault that broke the stream
}

// SendMsg implements grpc.ServerStream.
func (s *serverStream) SendMsg(msg any) error {
	if err := s.fault(s.m.send); err != nil {
		return err
	}
	return s.ServerStream.SendMsg(msg)
}

// RecvMsg implements grpc.ServerStream.
func (s *serverStream) RecvMsg(msg any) error {
	if err := s.fault(s.m.recv); err != nil {
		return err
	}
	return s.ServerStream.RecvMsg(msg)
}

// fault evaluates p for one message, and returns the error that fails it:
// that of an earlier fault that broke the stream, or of one that fires now.
func (s *serverStream) fault(p *chaos.Point) error {
	if se := s.failed.Load(); se != nil {
		return se
	}
	if !p.Armed() {
		return nil
	}
	ctx := s.ServerStream.Context()
	d := s.g.decide(ctx, p)
	if !d.Fired() {
		return nil
	}
	s.ServerStream.SetTrailer(injectedMD(d))
	err := s.g.apply(ctx, d, s.g.cfg.recover)
	if se, ok := err.(*statusError); ok {
		s.failed.CompareAndSwap(nil, se)
		return s.failed.Load()
	}
	return err
}

// clientStream is the grpc.ClientStream a caller gets with
// WithMessageFaults: it evaluates the message points before each message,
// and ends the real stream, by cancelling the context it was opened with,
// when a fault breaks it or once it is over.
type clientStream struct {
	grpc.ClientStream
	g *registry
	m *method
	// ctx is the stream's context, kept for the stream's life (as
	// grpc.ClientStream keeps it) to decide message faults on; cancel ends
	// the stream.
	ctx     context.Context
	cancel  context.CancelFunc
	streams bool                        // the server sends a stream of messages
	failed  atomic.Pointer[statusError] // the fault that broke the stream
}

// SendMsg implements grpc.ClientStream.
func (s *clientStream) SendMsg(msg any) error {
	if err := s.fault(s.m.send); err != nil {
		return err
	}
	return s.ClientStream.SendMsg(msg)
}

// RecvMsg implements grpc.ClientStream.
func (s *clientStream) RecvMsg(msg any) error {
	if err := s.fault(s.m.recv); err != nil {
		return err
	}
	err := s.ClientStream.RecvMsg(msg)
	if err != nil || !s.streams {
		s.cancel() // the stream is over: release its context
	}
	return err
}

// fault evaluates p for one message, and returns the error that fails it:
// that of an earlier fault that broke the stream, or of one that fires now.
func (s *clientStream) fault(p *chaos.Point) error {
	if se := s.failed.Load(); se != nil {
		return se
	}
	if !p.Armed() {
		return nil
	}
	d := s.g.decide(s.ctx, p)
	if !d.Fired() {
		return nil
	}
	if d.Kind() == faults.KindPanic {
		s.cancel() // the panic leaves the stream to nobody
	}
	err := s.g.apply(s.ctx, d, false)
	if se, ok := err.(*statusError); ok {
		s.failed.CompareAndSwap(nil, se)
		s.cancel()
		return s.failed.Load()
	}
	return err
}
