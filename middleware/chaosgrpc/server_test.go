package chaosgrpc_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgrpc"
)

// Each fault kind at a unary server fails a real call, from a real client,
// with its documented status and the injected trailer, and keeps the
// handler from running.
func TestUnaryServerFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   string
		opts    []chaosgrpc.Option
		code    codes.Code
		message string // a part of the status message
	}{
		{"error", "error(down)", nil, codes.Unavailable, "injected error at " + unaryMethod + ": down"},
		{"error code option", "error(busy)", []chaosgrpc.Option{chaosgrpc.WithErrorCode(codes.ResourceExhausted)}, codes.ResourceExhausted, "busy"},
		{"error zero code option", "error", []chaosgrpc.Option{chaosgrpc.WithErrorCode(codes.OK)}, codes.Unavailable, "injected error"},
		{"error with http code", "error(slow,429)", nil, codes.ResourceExhausted, "slow"},
		{"badconn", "badconn", nil, codes.Unavailable, "injected badconn"},
		{"status 503", "status(503)", nil, codes.Unavailable, "injected status"},
		{"status 404 with body", `status(404,"no such cart")`, nil, codes.NotFound, "no such cart"},
		{"status 401", "status(401)", nil, codes.Unauthenticated, ""},
		{"status 418", "status(418)", nil, codes.Unknown, ""},
		{"abort", "abort", nil, codes.Unavailable, "connection reset"},
		{"corrupt", "corrupt", nil, codes.Internal, "failed to unmarshal"},
		{"recovered panic", "panic(oops)", []chaosgrpc.Option{chaosgrpc.WithRecoverPanics()}, codes.Internal, "oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1))
			env := setup(t, serverOpts(e, tt.opts...))
			apply(t, e, `"`+unaryMethod+`"=`+tt.fault)

			var trailer metadata.MD
			_, err := env.client.UnaryCall(t.Context(), unaryReq(), grpc.Trailer(&trailer))
			if got := status.Code(err); got != tt.code {
				t.Fatalf("code = %v, want %v (err %v)", got, tt.code, err)
			}
			if msg := status.Convert(err).Message(); !strings.Contains(msg, tt.message) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.message)
			}
			kind, _, _ := strings.Cut(tt.fault, "(")
			want := kind + `; point="` + unaryMethod + `"`
			if got := trailer.Get(chaosgrpc.MetadataInjected); len(got) != 1 || got[0] != want {
				t.Errorf("trailer %s = %q, want %q", chaosgrpc.MetadataInjected, got, want)
			}
			if n := env.svc.calls.Load(); n != 0 {
				t.Errorf("handler ran %d times, want 0", n)
			}
		})
	}
}

// With no plan, and with a plan for other points, calls go through
// untouched and carry no trailer.
func TestUnaryServerUntouched(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	env := setup(t, serverOpts(e))
	for _, plan := range []string{"", `"/other.Service/Call"=error`} {
		apply(t, e, plan)
		var trailer metadata.MD
		resp, err := env.client.UnaryCall(t.Context(), unaryReq(), grpc.Trailer(&trailer))
		if err != nil {
			t.Fatalf("plan %q: %v", plan, err)
		}
		if string(resp.GetPayload().GetBody()) != "ping" {
			t.Errorf("plan %q: payload %q", plan, resp.GetPayload().GetBody())
		}
		if v := trailer.Get(chaosgrpc.MetadataInjected); len(v) != 0 {
			t.Errorf("plan %q: trailer %q on an untouched call", plan, v)
		}
	}
}

// A latency fault delays the call, which then succeeds, marked.
func TestUnaryServerLatency(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	env := setup(t, serverOpts(e))
	apply(t, e, `"`+unaryMethod+`"=delay(1ms)`)
	var trailer metadata.MD
	if _, err := env.client.UnaryCall(t.Context(), unaryReq(), grpc.Trailer(&trailer)); err != nil {
		t.Fatal(err)
	}
	if got := trailer.Get(chaosgrpc.MetadataInjected); len(got) != 1 || !strings.HasPrefix(got[0], "latency;") {
		t.Errorf("trailer = %q, want a latency mark", got)
	}
	if n := env.svc.calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

// The waits, in fake time: a latency waits exactly its delay, a hang
// reaching its bound fails with the error code, and a context that ends
// during a hang fails with its own code.
func TestServerWaits(t *testing.T) {
	info := &grpc.UnaryServerInfo{FullMethod: unaryMethod}
	handler := func(ctx context.Context, req any) (any, error) { return "ok", nil }
	tests := []struct {
		name    string
		fault   string
		timeout time.Duration // of the call's context; 0 for none
		code    codes.Code
		elapsed time.Duration
		ctxErr  error // the error that ends the wait, if any
	}{
		{"latency", "delay(200ms)", 0, codes.OK, 200 * time.Millisecond, nil},
		{"hang bound", "hang(3s)", 0, codes.Unavailable, 3 * time.Second, nil},
		{"hang deadline", "hang(1h)", time.Second, codes.DeadlineExceeded, time.Second, context.DeadlineExceeded},
		{"latency deadline", "delay(1h)", time.Second, codes.DeadlineExceeded, time.Second, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := chaos.New(chaos.WithSeed(1))
				apply(t, e, `"`+unaryMethod+`"=`+tt.fault)
				in := chaosgrpc.UnaryServerInterceptor(e)
				ctx := context.Background()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				start := time.Now()
				_, err := in(ctx, "req", info, handler)
				if got := time.Since(start); got != tt.elapsed {
					t.Errorf("waited %v, want %v", got, tt.elapsed)
				}
				if got := status.Code(err); got != tt.code {
					t.Fatalf("code = %v, want %v (err %v)", got, tt.code, err)
				}
				if tt.ctxErr != nil && !errors.Is(err, tt.ctxErr) {
					t.Errorf("err = %v, want it to match %v", err, tt.ctxErr)
				}
				if tt.code == codes.Unavailable && !errors.Is(err, faults.ErrInjected) {
					t.Errorf("err = %v, want it to match faults.ErrInjected", err)
				}
			})
		})
	}
}

// The kill switch ends a hang at once, over a real connection, and the
// call then runs normally.
func TestKillSwitchEndsHang(t *testing.T) {
	hanging := make(chan struct{}, 1)
	e := chaos.New(chaos.WithSeed(1), chaos.WithObserver(chaos.ObserverFunc(func(context.Context, chaos.Event) {
		hanging <- struct{}{}
	})))
	env := setup(t, serverOpts(e))
	apply(t, e, `"`+unaryMethod+`"=hang(1h)`)

	done := make(chan error, 1)
	go func() {
		_, err := env.client.UnaryCall(context.Background(), unaryReq())
		done <- err
	}()
	<-hanging
	e.Disable("test: stop the hang")
	if err := <-done; err != nil {
		t.Fatalf("call after the kill switch: %v", err)
	}
	if n := env.svc.calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

// Without WithRecoverPanics an injected panic propagates out of the
// interceptor, as a panic in the handler would, with an error matching
// faults.ErrInjected; the handler does not run. (grpc-go recovers no
// panics, so this is shown on the interceptor itself, not on a server.)
func TestServerPanicPropagates(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	apply(t, e, `"`+unaryMethod+`"=panic(oops)`)
	in := chaosgrpc.UnaryServerInterceptor(e)
	ran := false
	handler := func(ctx context.Context, req any) (any, error) { ran = true; return nil, nil }
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !errors.Is(err, faults.ErrInjected) {
			t.Errorf("recovered %v, want an injected error", r)
		}
		if ran {
			t.Error("handler ran")
		}
	}()
	_, _ = in(context.Background(), "req", &grpc.UnaryServerInfo{FullMethod: unaryMethod}, handler)
	t.Error("no panic")
}

// A nil engine means the default engine.
func TestNilEngineIsDefault(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	old := chaos.Default()
	chaos.SetDefault(e)
	defer chaos.SetDefault(old)
	env := setup(t, serverOpts(nil))
	apply(t, e, `"`+unaryMethod+`"=error`)
	if _, err := env.client.UnaryCall(t.Context(), unaryReq()); status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want Unavailable from the default engine", err)
	}
}
