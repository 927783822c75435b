package chaosgrpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosgrpc"
)

// callServer runs the unary server interceptor in for fullMethod and
// returns the status code of the call.
func callServer(in grpc.UnaryServerInterceptor, fullMethod string) codes.Code {
	_, err := in(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: fullMethod},
		func(context.Context, any) (any, error) { return nil, nil })
	return status.Code(err)
}

// Points are named after the full method, a glob reaches a whole service,
// and methods that are no full method, or past the bound, share the
// fallback point.
func TestPointNames(t *testing.T) {
	tests := []struct {
		name   string
		opts   []chaosgrpc.Option
		plan   string
		calls  []string // full methods, called in order
		failed []bool   // whether each call fails
	}{
		{"full method", nil, `"` + unaryMethod + `"=error`,
			[]string{unaryMethod, outputMethod}, []bool{true, false}},
		{"service glob", nil, `"` + serviceMethod + `"=error`,
			[]string{unaryMethod, outputMethod, "/other.Service/Call"}, []bool{true, true, false}},
		{"malformed methods fall back", nil, `"grpc.server (other)"=error`,
			[]string{"garbage", "/nomethod", "/svc/", "//m", unaryMethod}, []bool{true, true, true, true, false}},
		{"max points", []chaosgrpc.Option{chaosgrpc.WithMaxPoints(1)}, `"grpc.server (other)"=error`,
			[]string{unaryMethod, outputMethod, unaryMethod}, []bool{false, true, false}},
		{"zero max points is the default", []chaosgrpc.Option{chaosgrpc.WithMaxPoints(0)}, `"grpc.server (other)"=error`,
			[]string{unaryMethod, outputMethod}, []bool{false, false}},
		{"point name", []chaosgrpc.Option{chaosgrpc.WithPointName(func(m string) string {
			if m == unaryMethod {
				return "echo"
			}
			return ""
		})}, `echo=error;"grpc.server (other)"=status(404)`,
			[]string{unaryMethod, outputMethod}, []bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1))
			in := chaosgrpc.UnaryServerInterceptor(e, tt.opts...)
			apply(t, e, tt.plan)
			for i, m := range tt.calls {
				if got := callServer(in, m) != codes.OK; got != tt.failed[i] {
					t.Errorf("call %d to %q failed = %v, want %v", i, m, got, tt.failed[i])
				}
			}
		})
	}
}

// With no rule naming a call's point, the interceptors allocate nothing:
// with no plan, and with a plan for other points.
func TestDisabledPathAllocatesNothing(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	server := chaosgrpc.UnaryServerInterceptor(e)
	client := chaosgrpc.UnaryClientInterceptor(e)
	info := &grpc.UnaryServerInfo{FullMethod: unaryMethod}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	ctx := context.Background()
	for _, plan := range []string{"", `"/other.Service/Call"=error`} {
		apply(t, e, plan)
		if n := testing.AllocsPerRun(100, func() { _, _ = server(ctx, nil, info, handler) }); n != 0 {
			t.Errorf("plan %q: server interceptor allocates %v times per call, want 0", plan, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = client(ctx, unaryMethod, nil, nil, nil, invoker) }); n != 0 {
			t.Errorf("plan %q: client interceptor allocates %v times per call, want 0", plan, n)
		}
	}
}
