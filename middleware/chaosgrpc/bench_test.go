package chaosgrpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosgrpc"
)

// BenchmarkUnary makes real unary calls over an in-memory connection:
// "bare" without interceptors, "disabled" through the four interceptors at
// both ends with no plan, "armed-other" with a plan for another point, and
// "armed-1pct" with a rule on the call's server point that fails 1% of
// calls. The network stack dominates; BenchmarkInterceptor isolates the
// interceptors' own cost.
func BenchmarkUnary(b *testing.B) {
	run := func(b *testing.B, plan string, intercept bool) {
		e := chaos.New(chaos.WithSeed(1))
		if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
			b.Fatal(err)
		}
		var sopts []grpc.ServerOption
		var dopts []grpc.DialOption
		if intercept {
			sopts, dopts = serverOpts(e), clientOpts(e)
		}
		env := setup(b, sopts, dopts...)
		ctx, req := context.Background(), unaryReq()
		b.ReportAllocs()
		for b.Loop() {
			_, _ = env.client.UnaryCall(ctx, req)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, "", false) })
	b.Run("disabled", func(b *testing.B) { run(b, "", true) })
	b.Run("armed-other", func(b *testing.B) { run(b, `"/other.Service/Call"=error`, true) })
	b.Run("armed-1pct", func(b *testing.B) { run(b, `"`+unaryMethod+`"=1%error`, true) })
}

// BenchmarkInterceptor calls the unary interceptors directly around a
// handler (or invoker) that does nothing: "bare" is the handler alone.
func BenchmarkInterceptor(b *testing.B) {
	e := chaos.New(chaos.WithSeed(1))
	info := &grpc.UnaryServerInfo{FullMethod: unaryMethod}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	server := chaosgrpc.UnaryServerInterceptor(e)
	client := chaosgrpc.UnaryClientInterceptor(e)
	ctx := context.Background()
	bench := func(name, plan string, f func()) {
		b.Run(name, func(b *testing.B) {
			if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
		})
		b.Run(name+"-parallel", func(b *testing.B) {
			if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					f()
				}
			})
		})
	}
	bench("bare", "", func() { _, _ = handler(ctx, nil) })
	bench("server-disabled", "", func() { _, _ = server(ctx, nil, info, handler) })
	bench("server-armed-other", `"/other.Service/Call"=error`, func() { _, _ = server(ctx, nil, info, handler) })
	// A real call's incoming metadata, without baggage: the interceptor
	// looks for a directive there.
	md := metadata.NewIncomingContext(ctx, metadata.Pairs(":authority", "payments:50051", "content-type", "application/grpc",
		"user-agent", "grpc-go/1.85.0", "grpc-accept-encoding", "gzip", "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
	bench("bare-metadata", "", func() { _, _ = handler(md, nil) })
	bench("server-disabled-metadata", "", func() { _, _ = server(md, nil, info, handler) })
	bench("client-disabled", "", func() { _ = client(ctx, unaryMethod, nil, nil, nil, invoker) })
	bench("client-armed-other", `"/other.Service/Call"=error`, func() { _ = client(ctx, unaryMethod, nil, nil, nil, invoker) })
}
