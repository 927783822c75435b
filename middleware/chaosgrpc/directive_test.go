package chaosgrpc_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

var directiveKey = chaos.DirectiveKey{ID: "grpc", Secret: []byte(strings.Repeat("s", 32))}

// directiveEngine returns an engine that accepts directives signed with
// directiveKey.
func directiveEngine() *chaos.Engine {
	return chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true}}),
		chaos.WithDirectiveKeys(directiveKey))
}

func token(t *testing.T, plan string) string {
	t.Helper()
	tok, err := chaos.MintDirective(chaos.MustParsePlan(plan), directiveKey, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// pointService is a TestService whose UnaryCall evaluates a point of its
// own with the call's context, as a handler deeper in a service does.
type pointService struct {
	testService
	point *chaos.Point
	md    chan metadata.MD
}

func (s *pointService) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	if md, ok := metadata.FromIncomingContext(ctx); ok && s.md != nil {
		s.md <- md
	}
	if err := s.point.Inject(ctx); err != nil {
		return nil, err
	}
	return s.testService.UnaryCall(ctx, req)
}

// TestDirectiveThroughGRPC proves that a directive in the context of a
// client call travels in its baggage metadata through the client
// interceptor, that the server interceptor accepts it, and that both the
// call's point and a point in the handler fire on it for that call only.
func TestDirectiveThroughGRPC(t *testing.T) {
	server, client := directiveEngine(), chaos.New()
	svc := &pointService{point: server.Point("payments.charge"), md: make(chan metadata.MD, 8)}
	_, conn := serve(t, svc, serverOpts(server), clientOpts(client)...)
	c := testgrpc.NewTestServiceClient(conn)
	ctx := context.Background()

	tests := []struct {
		name    string
		plan    string
		wantErr bool
	}{
		{"the call's point", unaryMethod + "=error(declined)", true},
		{"a point in the handler", "payments.charge=error(declined)", true},
		{"another point", "inventory.get=error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drain(svc.md)
			tok := token(t, tt.plan)
			_, err := c.UnaryCall(chaos.WithDirectiveToken(ctx, tok), unaryReq())
			if (err != nil) != tt.wantErr {
				t.Errorf("call with the directive: %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !strings.Contains(err.Error(), "declined") {
				t.Errorf("call with the directive: %v, want the injected error", err)
			}
			if tt.name == "a point in the handler" {
				md := <-svc.md
				if got := md.Get("baggage"); len(got) != 1 || got[0] != chaos.DirectiveBaggageKey+"="+tok {
					t.Errorf("baggage metadata = %q, want the token unchanged", got)
				}
			}
			if _, err := c.UnaryCall(ctx, unaryReq()); err != nil {
				t.Errorf("call without it: %v", err)
			}
		})
	}
	drain(svc.md)
	if got := server.Stats().Directives.Accepted; got != 3 {
		t.Errorf("accepted %d directives, want 3", got)
	}
}

func drain(ch chan metadata.MD) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// TestDirectiveStreamAndRefusal proves that a stream's point fires on a
// directive, and that a forged one is refused, counted, and never fails
// the call.
func TestDirectiveStreamAndRefusal(t *testing.T) {
	server := directiveEngine()
	env := setup(t, serverOpts(server), clientOpts(chaos.New())...)
	ctx := chaos.WithDirectiveToken(context.Background(), token(t, outputMethod+"=error"))
	stream, err := env.client.StreamingOutputCall(ctx, outputReq(1))
	if err == nil {
		_, err = stream.Recv()
	}
	if err == nil {
		t.Error("stream with a directive on its point succeeded, want the injected error")
	}

	forged, err := chaos.MintDirective(chaos.MustParsePlan(unaryMethod+"=error"),
		chaos.DirectiveKey{ID: directiveKey.ID, Secret: []byte(strings.Repeat("f", 32))}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.client.UnaryCall(chaos.WithDirectiveToken(context.Background(), forged), unaryReq()); err != nil {
		t.Errorf("call with a forged directive: %v, want success", err)
	}
	if got := server.Stats().Directives.Refused[chaos.RefusedSignature]; got != 1 {
		t.Errorf("refused %d bad signatures, want 1", got)
	}
}

// TestDirectiveClientPoint proves that a client whose engine accepted a
// directive (as a service in the middle of a chain has) fires its own
// call's point on it, and forwards it either way.
func TestDirectiveClientPoint(t *testing.T) {
	mid := directiveEngine()
	env := setup(t, nil, clientOpts(mid)...)
	ctx, err := mid.AcceptDirective(context.Background(), token(t, `"grpc.client `+unaryMethod+`"=error`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.client.UnaryCall(ctx, unaryReq())
	if !errors.Is(err, faults.ErrInjected) {
		t.Errorf("client call under an accepted directive: %v, want the injected error", err)
	}
	if env.svc.calls.Load() != 0 {
		t.Error("the server was called")
	}
}
