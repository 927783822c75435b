package chaosgrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgrpc"
)

// start serves grpc's TestService (testService, in helpers_test.go) on an
// in-memory listener with the server options, and returns a client
// dialled with the dial options and a function that stops both.
func start(serverOpts []grpc.ServerOption, dialOpts ...grpc.DialOption) (testgrpc.TestServiceClient, func()) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(serverOpts...)
	testgrpc.RegisterTestServiceServer(srv, &testService{})
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet", append([]grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, dialOpts...)...)
	if err != nil {
		panic(err)
	}
	return testgrpc.NewTestServiceClient(conn), func() { _ = conn.Close(); srv.Stop() }
}

// call makes one unary call and prints its status code.
func call(ctx context.Context, c testgrpc.TestServiceClient) {
	_, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{})
	fmt.Println(status.Code(err))
}

// download reads a stream of n messages and prints how many came and how
// it ended.
func download(c testgrpc.TestServiceClient, n int) {
	s, err := c.StreamingOutputCall(context.Background(), outputReq(n))
	got := 0
	for err == nil {
		if _, err = s.Recv(); err == nil {
			got++
		}
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	fmt.Printf("%d messages, %v\n", got, status.Code(err))
}

func ExampleUnaryServerInterceptor() {
	e := chaos.New(chaos.WithSeed(1))
	client, stop := start([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(e)),
	})
	defer stop()

	// The first two calls fail with Unavailable; the handler does not run.
	if err := e.Apply(chaos.MustParsePlan(`"/grpc.testing.TestService/UnaryCall"=2*error(down)`)); err != nil {
		fmt.Println(err)
	}
	var trailer metadata.MD
	_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}, grpc.Trailer(&trailer))
	fmt.Println(status.Code(err), trailer.Get(chaosgrpc.MetadataInjected))
	call(context.Background(), client)
	call(context.Background(), client)
	// Output:
	// Unavailable [error; point="/grpc.testing.TestService/UnaryCall"]
	// Unavailable
	// OK
}

func ExampleStreamServerInterceptor() {
	e := chaos.New(chaos.WithSeed(1))
	client, stop := start([]grpc.ServerOption{
		grpc.ChainStreamInterceptor(chaosgrpc.StreamServerInterceptor(e)),
	})
	defer stop()

	// Every service's streams are cut once as they start, as a server
	// restart would.
	if err := e.Apply(chaos.MustParsePlan(`"/grpc.testing.TestService/*"=1*abort`)); err != nil {
		fmt.Println(err)
	}
	download(client, 3)
	download(client, 3)
	// Output:
	// 0 messages, Unavailable
	// 3 messages, OK
}

func ExampleUnaryClientInterceptor() {
	e := chaos.New(chaos.WithSeed(1))
	client, stop := start(nil, grpc.WithChainUnaryInterceptor(chaosgrpc.UnaryClientInterceptor(e)))
	defer stop()

	// The call is not sent: it fails as if the connection had been reset.
	if err := e.Apply(chaos.MustParsePlan(`"grpc.client /grpc.testing.TestService/UnaryCall"=1*abort`)); err != nil {
		fmt.Println(err)
	}
	_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	fmt.Println(status.Code(err), errors.Is(err, faults.ErrInjected), errors.Is(err, syscall.ECONNRESET))
	call(context.Background(), client)
	// Output:
	// Unavailable true true
	// OK
}

func ExampleStreamClientInterceptor() {
	e := chaos.New(chaos.WithSeed(1))
	client, stop := start(nil, grpc.WithChainStreamInterceptor(
		chaosgrpc.StreamClientInterceptor(e, chaosgrpc.WithMessageFaults())))
	defer stop()

	// The third message the client receives fails, and so the stream.
	if err := e.Apply(chaos.MustParsePlan(`"grpc.client.recv /grpc.testing.TestService/StreamingOutputCall"=1*status(504)[after=2]`)); err != nil {
		fmt.Println(err)
	}
	download(client, 5)
	download(client, 5)
	// Output:
	// 2 messages, DeadlineExceeded
	// 5 messages, OK
}

// With WithMessageFaults a rule can let a stream deliver some messages
// and then break it.
func ExampleWithMessageFaults() {
	e := chaos.New(chaos.WithSeed(1))
	client, stop := start([]grpc.ServerOption{
		grpc.ChainStreamInterceptor(chaosgrpc.StreamServerInterceptor(e, chaosgrpc.WithMessageFaults())),
	})
	defer stop()

	if err := e.Apply(chaos.MustParsePlan(`"grpc.server.send /grpc.testing.TestService/StreamingOutputCall"=1*error(gone)[after=3]`)); err != nil {
		fmt.Println(err)
	}
	download(client, 5)
	// Output:
	// 3 messages, Unavailable
}

// A rule can match metadata copied into a label: here only tenant acme
// sees the fault.
func ExampleWithMetadataLabel() {
	e := chaos.New(chaos.WithSeed(1))
	client, stop := start([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(e, chaosgrpc.WithMetadataLabel("x-tenant", "tenant"))),
	})
	defer stop()

	if err := e.Apply(chaos.MustParsePlan(`"/grpc.testing.TestService/UnaryCall"=status(403)[label.tenant=acme]`)); err != nil {
		fmt.Println(err)
	}
	call(metadata.AppendToOutgoingContext(context.Background(), "x-tenant", "acme"), client)
	call(metadata.AppendToOutgoingContext(context.Background(), "x-tenant", "globex"), client)
	// Output:
	// PermissionDenied
	// OK
}

// Error faults fail calls with Unavailable unless told otherwise.
func ExampleWithErrorCode() {
	e := chaos.New(chaos.WithSeed(1))
	client, stop := start([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(e, chaosgrpc.WithErrorCode(codes.Aborted))),
	})
	defer stop()

	if err := e.Apply(chaos.MustParsePlan(`"/grpc.testing.TestService/UnaryCall"=1*error;"/grpc.testing.TestService/UnaryCall"=1*error(full,429)`)); err != nil {
		fmt.Println(err)
	}
	call(context.Background(), client)
	call(context.Background(), client)
	call(context.Background(), client)
	// Output:
	// Aborted
	// ResourceExhausted
	// OK
}

// An injected panic is a failed call with Internal rather than a crash.
func ExampleWithRecoverPanics() {
	e := chaos.New(chaos.WithSeed(1))
	client, stop := start([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(e, chaosgrpc.WithRecoverPanics())),
	})
	defer stop()

	if err := e.Apply(chaos.MustParsePlan(`"/grpc.testing.TestService/UnaryCall"=1*panic(bug)`)); err != nil {
		fmt.Println(err)
	}
	call(context.Background(), client)
	// Output:
	// Internal
}

// Points can be named after something other than the full method, such
// as the service alone.
func ExampleWithPointName() {
	e := chaos.New(chaos.WithSeed(1))
	byService := chaosgrpc.WithPointName(func(fullMethod string) string {
		svc, _, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
		return "grpc " + svc
	})
	client, stop := start([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(e, byService)),
	})
	defer stop()

	if err := e.Apply(chaos.MustParsePlan(`"grpc grpc.testing.TestService"=1*status(503)`)); err != nil {
		fmt.Println(err)
	}
	call(context.Background(), client)
	call(context.Background(), client)
	// Output:
	// Unavailable
	// OK
}
