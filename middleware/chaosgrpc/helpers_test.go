package chaosgrpc_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/test/bufconn"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosgrpc"
)

// The full methods of grpc's TestService, which the tests serve.
const (
	unaryMethod   = "/grpc.testing.TestService/UnaryCall"
	outputMethod  = "/grpc.testing.TestService/StreamingOutputCall"
	inputMethod   = "/grpc.testing.TestService/StreamingInputCall"
	duplexMethod  = "/grpc.testing.TestService/FullDuplexCall"
	serviceMethod = "/grpc.testing.TestService/*"
)

// testService is a real TestService: it echoes unary payloads, streams as
// many responses as asked, sums uploaded payloads, and echoes a duplex
// stream, reporting how each duplex stream ended.
type testService struct {
	testgrpc.UnimplementedTestServiceServer
	calls      atomic.Int64 // handler runs, of every method
	duplexEnds chan error   // how each FullDuplexCall ended: nil for io.EOF
}

func (s *testService) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	s.calls.Add(1)
	return &testgrpc.SimpleResponse{Payload: req.GetPayload()}, nil
}

func (s *testService) StreamingOutputCall(req *testgrpc.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testgrpc.StreamingOutputCallResponse]) error {
	s.calls.Add(1)
	for _, p := range req.GetResponseParameters() {
		resp := &testgrpc.StreamingOutputCallResponse{Payload: &testgrpc.Payload{Body: make([]byte, p.GetSize())}}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
	return nil
}

func (s *testService) StreamingInputCall(stream grpc.ClientStreamingServer[testgrpc.StreamingInputCallRequest, testgrpc.StreamingInputCallResponse]) error {
	s.calls.Add(1)
	var sum int32
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(&testgrpc.StreamingInputCallResponse{AggregatedPayloadSize: sum})
		}
		if err != nil {
			return err
		}
		sum += int32(len(req.GetPayload().GetBody()))
	}
}

func (s *testService) FullDuplexCall(stream grpc.BidiStreamingServer[testgrpc.StreamingOutputCallRequest, testgrpc.StreamingOutputCallResponse]) error {
	s.calls.Add(1)
	for {
		req, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			if s.duplexEnds != nil {
				s.duplexEnds <- err
			}
			return err
		}
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: req.GetPayload()}); err != nil {
			return err
		}
	}
}

// env is a real gRPC server and client over an in-memory connection.
type env struct {
	svc    *testService
	client testgrpc.TestServiceClient
	conn   *grpc.ClientConn
}

// setup serves a testService on bufconn with the server options and dials
// it with the dial options; both end with the test.
func setup(t testing.TB, serverOpts []grpc.ServerOption, dialOpts ...grpc.DialOption) *env {
	t.Helper()
	svc := &testService{duplexEnds: make(chan error, 16)}
	_, conn := serve(t, svc, serverOpts, dialOpts...)
	return &env{svc: svc, client: testgrpc.NewTestServiceClient(conn), conn: conn}
}

// serve runs svc in a real grpc.Server on an in-memory listener and
// returns the server and a client connection to it, both closed at the
// end of the test.
func serve(t testing.TB, svc testgrpc.TestServiceServer, serverOpts []grpc.ServerOption, dialOpts ...grpc.DialOption) (*grpc.Server, *grpc.ClientConn) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(serverOpts...)
	testgrpc.RegisterTestServiceServer(srv, svc)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis) // returns when Stop closes lis
	}()
	dial := func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	opts := append([]grpc.DialOption{
		grpc.WithContextDialer(dial),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, dialOpts...)
	conn, err := grpc.NewClient("passthrough:///bufnet", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-done
	})
	return srv, conn
}

// serverOpts installs both server interceptors of e with opts.
func serverOpts(e *chaos.Engine, opts ...chaosgrpc.Option) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(e, opts...)),
		grpc.ChainStreamInterceptor(chaosgrpc.StreamServerInterceptor(e, opts...)),
	}
}

// clientOpts installs both client interceptors of e with opts.
func clientOpts(e *chaos.Engine, opts ...chaosgrpc.Option) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(chaosgrpc.UnaryClientInterceptor(e, opts...)),
		grpc.WithChainStreamInterceptor(chaosgrpc.StreamClientInterceptor(e, opts...)),
	}
}

// apply applies the plan text to e, failing the test if it does not.
func apply(t testing.TB, e *chaos.Engine, plan string) {
	t.Helper()
	if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
		t.Fatal(err)
	}
}

// unaryReq is a small unary request.
func unaryReq() *testgrpc.SimpleRequest {
	return &testgrpc.SimpleRequest{Payload: &testgrpc.Payload{Body: []byte("ping")}}
}

// outputReq asks StreamingOutputCall for n responses.
func outputReq(n int) *testgrpc.StreamingOutputCallRequest {
	req := &testgrpc.StreamingOutputCallRequest{}
	for range n {
		req.ResponseParameters = append(req.ResponseParameters, &testgrpc.ResponseParameters{Size: 3})
	}
	return req
}

// fired returns how many faults fired at the point called name.
func fired(e *chaos.Engine, name string) uint64 {
	for _, ps := range e.Stats().Points {
		if ps.Point == name {
			return ps.Fired
		}
	}
	return 0
}
