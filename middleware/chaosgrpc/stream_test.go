package chaosgrpc_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgrpc"
)

// recvAll reads a server stream to its end and returns how many messages
// came and the error that ended it (nil for io.EOF).
func recvAll[T any](s interface{ Recv() (*T, error) }) (int, error) {
	for n := 0; ; n++ {
		if _, err := s.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return n, err
		}
	}
}

// A fault at the start of a server stream fails it before the handler
// runs, at the server and at the client alike.
func TestStreamStartFaults(t *testing.T) {
	for _, tt := range []struct{ name, point string }{
		{"server", outputMethod},
		{"client", "grpc.client " + outputMethod},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1))
			env := setup(t, serverOpts(e), clientOpts(e)...)
			apply(t, e, `"`+tt.point+`"=status(429)`)
			n, err := func() (int, error) {
				s, err := env.client.StreamingOutputCall(t.Context(), outputReq(3))
				if err != nil {
					return 0, err
				}
				return recvAll(s)
			}()
			if n != 0 || status.Code(err) != codes.ResourceExhausted {
				t.Fatalf("got %d messages and %v, want none and ResourceExhausted", n, err)
			}
			if calls := env.svc.calls.Load(); calls != 0 {
				t.Errorf("handler ran %d times, want 0", calls)
			}
		})
	}
}

// Message faults at a server: a send fault after two messages ends a
// server stream after the second, with the fault's status and trailer; a
// receive fault fails a client stream's upload. Without WithMessageFaults
// the same rules never fire.
func TestServerMessageFaults(t *testing.T) {
	t.Run("send", func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		env := setup(t, serverOpts(e, chaosgrpc.WithMessageFaults()))
		apply(t, e, `"grpc.server.send `+outputMethod+`"=error(gone)[after=2]`)
		s, err := env.client.StreamingOutputCall(t.Context(), outputReq(5))
		if err != nil {
			t.Fatal(err)
		}
		n, err := recvAll(s)
		if n != 2 || status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "gone") {
			t.Fatalf("got %d messages and %v, want 2 and the injected Unavailable", n, err)
		}
		want := `error; point="grpc.server.send ` + outputMethod + `"`
		if got := s.Trailer().Get(chaosgrpc.MetadataInjected); len(got) != 1 || got[0] != want {
			t.Errorf("trailer = %q, want %q", got, want)
		}
	})
	t.Run("recv", func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		env := setup(t, serverOpts(e, chaosgrpc.WithMessageFaults()))
		apply(t, e, `"grpc.server.recv `+inputMethod+`"=abort[after=1]`)
		s, err := env.client.StreamingInputCall(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := s.Send(&testgrpc.StreamingInputCallRequest{Payload: &testgrpc.Payload{Body: []byte("abc")}}); err != nil {
				break // io.EOF once the server has failed the stream
			}
		}
		_, err = s.CloseAndRecv()
		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "connection reset") {
			t.Fatalf("err = %v, want the injected abort", err)
		}
	})
	t.Run("off without the option", func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		env := setup(t, serverOpts(e))
		apply(t, e, `"grpc.server.send `+outputMethod+`"=error`)
		s, err := env.client.StreamingOutputCall(t.Context(), outputReq(5))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := recvAll(s); n != 5 || err != nil {
			t.Fatalf("got %d messages and %v, want 5 and the end", n, err)
		}
	})
}

// A latency fault at each message delays the stream, which completes.
func TestMessageLatency(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	env := setup(t, serverOpts(e, chaosgrpc.WithMessageFaults()), clientOpts(e, chaosgrpc.WithMessageFaults())...)
	apply(t, e, `"grpc.*.send `+outputMethod+`"=delay(1ms);"grpc.client.recv `+outputMethod+`"=delay(1ms)`)
	s, err := env.client.StreamingOutputCall(t.Context(), outputReq(3))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := recvAll(s); n != 3 || err != nil {
		t.Fatalf("got %d messages and %v, want 3 and the end", n, err)
	}
	// 3 sends at the server; 4 receives at the client (the last sees io.EOF)
	// and 1 send (the request).
	for name, want := range map[string]uint64{
		"grpc.server.send " + outputMethod: 3,
		"grpc.client.recv " + outputMethod: 4,
		"grpc.client.send " + outputMethod: 1,
	} {
		if n := fired(e, name); n != want {
			t.Errorf("%s fired %d times, want %d", name, n, want)
		}
	}
}

// Message faults at a client: a receive fault ends a download after the
// first message with an error matching faults.ErrInjected, and every later
// Recv returns it too; a send fault on a duplex stream ends the real
// stream, so the server sees it cancelled.
func TestClientMessageFaults(t *testing.T) {
	t.Run("recv", func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		env := setup(t, nil, clientOpts(e, chaosgrpc.WithMessageFaults())...)
		apply(t, e, `"grpc.client.recv `+outputMethod+`"=1*error(cut)[after=1]`)
		s, err := env.client.StreamingOutputCall(t.Context(), outputReq(5))
		if err != nil {
			t.Fatal(err)
		}
		n, err := recvAll(s)
		if n != 1 || status.Code(err) != codes.Unavailable || !errors.Is(err, faults.ErrInjected) {
			t.Fatalf("got %d messages and %v, want 1 and the injected error", n, err)
		}
		if _, again := s.Recv(); again != err {
			t.Errorf("Recv after the fault = %v, want the same error %v", again, err)
		}
	})
	t.Run("send", func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		env := setup(t, nil, clientOpts(e, chaosgrpc.WithMessageFaults())...)
		apply(t, e, `"grpc.client.send `+duplexMethod+`"=error(cut)[after=1]`)
		s, err := env.client.FullDuplexCall(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		req := &testgrpc.StreamingOutputCallRequest{Payload: &testgrpc.Payload{Body: []byte("one")}}
		if err := s.Send(req); err != nil {
			t.Fatal(err)
		}
		if resp, err := s.Recv(); err != nil || string(resp.GetPayload().GetBody()) != "one" {
			t.Fatalf("echo = %v, %v", resp, err)
		}
		if err := s.Send(req); !errors.Is(err, faults.ErrInjected) {
			t.Fatalf("second Send = %v, want the injected error", err)
		}
		if end := <-env.svc.duplexEnds; status.Code(end) != codes.Canceled {
			t.Errorf("the server's stream ended with %v, want Canceled", end)
		}
	})
}
