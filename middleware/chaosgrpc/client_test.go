package chaosgrpc_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgrpc"
)

const clientUnary = "grpc.client " + unaryMethod

// Each fault kind at a client fails the call before it is sent, with an
// error that has the documented status and matches faults.ErrInjected.
func TestUnaryClientFaults(t *testing.T) {
	tests := []struct {
		fault string
		code  codes.Code
		also  error // another error the failure matches
	}{
		{"error(down)", codes.Unavailable, nil},
		{"error(busy,429)", codes.ResourceExhausted, nil},
		{"badconn", codes.Unavailable, nil},
		{"status(504)", codes.DeadlineExceeded, nil},
		{"abort", codes.Unavailable, syscall.ECONNRESET},
		{"corrupt", codes.Internal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1))
			env := setup(t, nil, clientOpts(e)...)
			apply(t, e, `"`+clientUnary+`"=`+tt.fault)
			_, err := env.client.UnaryCall(t.Context(), unaryReq())
			if got := status.Code(err); got != tt.code {
				t.Fatalf("code = %v, want %v (err %v)", got, tt.code, err)
			}
			if !errors.Is(err, faults.ErrInjected) {
				t.Errorf("err = %v, want it to match faults.ErrInjected", err)
			}
			if tt.also != nil && !errors.Is(err, tt.also) {
				t.Errorf("err = %v, want it to match %v", err, tt.also)
			}
			var ie *faults.InjectedError
			if !errors.As(err, &ie) || ie.Point != clientUnary {
				t.Errorf("injected error %+v, want one at %q", ie, clientUnary)
			}
			if n := env.svc.calls.Load(); n != 0 {
				t.Errorf("server handler ran %d times, want 0: the call was sent", n)
			}
		})
	}
}

// Client points are distinct from server points: a rule for the server's
// point does not fire at the client, and the other way round.
func TestClientAndServerPointsDiffer(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	env := setup(t, serverOpts(e), clientOpts(e)...)
	apply(t, e, `"`+clientUnary+`"=1*error(client);"`+unaryMethod+`"=1*error(server)`)
	for _, want := range []string{"client", "server"} {
		_, err := env.client.UnaryCall(t.Context(), unaryReq())
		if msg := status.Convert(err).Message(); !strings.HasSuffix(msg, ": "+want) {
			t.Errorf("message = %q, want the %s's fault", msg, want)
		}
	}
	if _, err := env.client.UnaryCall(t.Context(), unaryReq()); err != nil {
		t.Fatalf("third call: %v", err)
	}
}

// A panic fault at a client panics in the caller, before anything is sent.
func TestClientPanic(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	env := setup(t, nil, clientOpts(e, chaosgrpc.WithRecoverPanics())...)
	apply(t, e, `"`+clientUnary+`"=panic(oops)`)
	func() {
		defer func() {
			if err, ok := recover().(error); !ok || !errors.Is(err, faults.ErrInjected) {
				t.Errorf("recovered %v, want an injected error", err)
			}
		}()
		_, _ = env.client.UnaryCall(t.Context(), unaryReq())
		t.Error("no panic")
	}()
	if n := env.svc.calls.Load(); n != 0 {
		t.Errorf("server handler ran %d times, want 0", n)
	}
}

// A client-side wait that its context ends fails with the context's code,
// and the error matches the context's error.
func TestClientLatencyCancelled(t *testing.T) {
	waiting := make(chan struct{}, 1)
	e := chaos.New(chaos.WithSeed(1), chaos.WithObserver(chaos.ObserverFunc(func(context.Context, chaos.Event) {
		waiting <- struct{}{}
	})))
	env := setup(t, nil, clientOpts(e)...)
	apply(t, e, `"`+clientUnary+`"=delay(1h)`)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := env.client.UnaryCall(ctx, unaryReq())
		done <- err
	}()
	<-waiting
	cancel()
	err := <-done
	if status.Code(err) != codes.Canceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled matching context.Canceled", err)
	}
}

// retryConfig is a service config whose retry policy retries Unavailable
// calls to the TestService up to three attempts in all.
const retryConfig = `{"methodConfig":[{"name":[{"service":"grpc.testing.TestService"}],
	"retryPolicy":{"maxAttempts":3,"initialBackoff":"0.001s","maxBackoff":"0.002s",
	"backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]}`

// A client with a gRPC retry policy on Unavailable rides out two errors
// injected at the server: the third attempt reaches the handler.
func TestRetryPolicyRidesOutServerFaults(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	env := setup(t, serverOpts(e), grpc.WithDefaultServiceConfig(retryConfig))
	apply(t, e, `"`+unaryMethod+`"=2*error(flaky)`)
	resp, err := env.client.UnaryCall(t.Context(), unaryReq())
	if err != nil {
		t.Fatalf("call with retries: %v", err)
	}
	if string(resp.GetPayload().GetBody()) != "ping" {
		t.Errorf("payload %q", resp.GetPayload().GetBody())
	}
	if n := fired(e, unaryMethod); n != 2 {
		t.Errorf("%d faults fired, want 2", n)
	}
	if n := env.svc.calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}

	// Without the retry policy the first fault reaches the caller.
	apply(t, e, `"`+unaryMethod+`"=2*error(flaky)`)
	bare := setup(t, serverOpts(e))
	if _, err := bare.client.UnaryCall(t.Context(), unaryReq()); status.Code(err) != codes.Unavailable {
		t.Fatalf("call without retries: %v, want Unavailable", err)
	}
}

// The client interceptor runs outside gRPC's retries, as documented: a
// retry policy does not retry a failure it injects.
func TestRetryPolicyDoesNotRetryClientFaults(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	env := setup(t, nil, append(clientOpts(e), grpc.WithDefaultServiceConfig(retryConfig))...)
	apply(t, e, `"`+clientUnary+`"=1*error(flaky)`)
	if _, err := env.client.UnaryCall(t.Context(), unaryReq()); status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want the injected Unavailable", err)
	}
	if n := env.svc.calls.Load(); n != 0 {
		t.Errorf("handler ran %d times, want 0", n)
	}
}

// A hand-written retry on Unavailable, the kind callers write around
// their client, rides out two errors injected at the client.
func TestHandWrittenRetryRidesOutClientFaults(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	env := setup(t, nil, clientOpts(e)...)
	apply(t, e, `"`+clientUnary+`"=2*error(flaky)`)
	var attempts int
	var err error
	for attempts = 1; attempts <= 3; attempts++ {
		if _, err = env.client.UnaryCall(t.Context(), unaryReq()); status.Code(err) != codes.Unavailable {
			break
		}
	}
	if err != nil || attempts != 3 {
		t.Fatalf("after %d attempts: %v, want success on the third", attempts, err)
	}
}
