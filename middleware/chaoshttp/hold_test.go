package chaoshttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
)

// fireSignal is an observer that sends on a channel for every fault that
// fires, without blocking.
type fireSignal chan struct{}

func (s fireSignal) Observe(context.Context, chaos.Event) {
	select {
	case s <- struct{}{}:
	default:
	}
}

// waitFor waits until n values arrive on ch, or fails the test after a
// deadline that no correct run comes near.
func waitFor(t *testing.T, ch <-chan struct{}, n int, what string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for i := range n {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s: %d of %d after 20s", what, i, n)
		}
	}
}

// hangServer serves "POST /upload" through the middleware of e. Its
// handler answers the size and SHA-256 of the body it read; returned gets
// a value each time the middleware returns, whatever it answered. The
// server's base context ends at cleanup, before the server closes, so
// that a failing run does not hang the test binary.
func hangServer(t *testing.T, e *chaos.Engine, returned chan<- struct{}) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mw := Middleware(e)
	upload := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum := sha256.New()
		n, err := io.Copy(sum, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d %x", n, sum.Sum(nil))
	}))
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		defer func() { returned <- struct{}{} }()
		upload.ServeHTTP(w, r)
	})
	base, cancel := context.WithCancel(context.Background())
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.BaseContext = func(net.Listener) context.Context { return base }
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(cancel) // runs first
	return srv
}

// uploadBody returns body i of a test: some with a declared length, some
// streamed (chunked), and of sizes around holdLimit when big is set.
func uploadBody(i int, big bool) (data []byte, body io.Reader) {
	size := 100 + 37*i
	if big {
		size = []int{0, 1, holdLimit - 1, holdLimit, holdLimit + 1, 3*holdLimit + 17}[i%6]
	}
	data = bytes.Repeat([]byte{byte('a' + i%26)}, size)
	if i%2 == 0 {
		return data, bytes.NewReader(data)
	}
	return data, struct{ io.Reader }{bytes.NewReader(data)} // length unknown: chunked
}

// TestHangEndsWhenClientsLeave sends 20 POSTs with bodies to a route that
// hangs, cancels them once every hang has started, and checks that every
// handler returns. net/http cancels a request's context only when it reads
// from the connection, which it does not do by itself while the body is
// unread; the middleware must read it.
func TestHangEndsWhenClientsLeave(t *testing.T) {
	t.Parallel()
	const n = 20
	e := chaostest.New(t)
	chaostest.Enable(t, e, `"POST /upload"=hang(1h)`)
	fired := make(fireSignal, n)
	defer e.AddObserver(fired)()
	returned := make(chan struct{}, n)
	srv := hangServer(t, e, returned)
	client := srv.Client()

	ctx, cancel := context.WithCancel(t.Context())
	var clients sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		_, body := uploadBody(i, false)
		clients.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/upload", body)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				err = fmt.Errorf("request %d answered %s", i, resp.Status)
			}
			errs <- err
		})
	}
	waitFor(t, fired, n, "hangs started")
	cancel()
	clients.Wait()
	for range n {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Errorf("client: %v, want context.Canceled", err)
		}
	}
	waitFor(t, returned, n, "handlers returned after their clients left")
}

// TestKillSwitchEndsHangs sends 20 POSTs with bodies of many sizes to a
// route that hangs, throws the kill switch once every hang has started,
// and checks that each handler then runs normally and reads its whole
// body, byte for byte.
func TestKillSwitchEndsHangs(t *testing.T) {
	t.Parallel()
	for _, plan := range []string{`"POST /upload"=hang(1h)`, `"POST /upload"=delay(1h)`} {
		t.Run(plan, func(t *testing.T) {
			t.Parallel()
			const n = 20
			e := chaostest.New(t)
			chaostest.Enable(t, e, plan)
			fired := make(fireSignal, n)
			defer e.AddObserver(fired)()
			returned := make(chan struct{}, n)
			srv := hangServer(t, e, returned)
			client := srv.Client()

			var clients sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				data, body := uploadBody(i, true)
				clients.Go(func() {
					req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/upload", body)
					resp, err := client.Do(req)
					if err != nil {
						errs <- err
						return
					}
					defer resp.Body.Close()
					got, err := io.ReadAll(resp.Body)
					sum := sha256.Sum256(data)
					if want := fmt.Sprintf("%d %s", len(data), hex.EncodeToString(sum[:])); err != nil || resp.StatusCode != 200 || string(got) != want {
						err = fmt.Errorf("request %d (%d bytes): %s %q (%v), want 200 %q", i, len(data), resp.Status, got, err, want)
					}
					errs <- err
				})
			}
			waitFor(t, fired, n, "waits started")
			e.Disable("test")
			waitFor(t, returned, n, "handlers returned after the kill switch")
			clients.Wait()
			for range n {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestHeldBody checks what the handler reads after a wait that read the
// body ahead, whatever the body's size and however the wait ended.
func TestHeldBody(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 511, 512, holdLimit - 1, holdLimit, holdLimit + 1, 5 * holdLimit} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			data := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
			closed := 0
			body := &closeFunc{Reader: bytes.NewReader(data), close: func() { closed++ }}
			r := httptest.NewRequest("POST", "/", body)
			b := holdBody(r)
			<-b.done
			b.stop.Store(true)
			if want := min(size, holdLimit); len(b.buf) != want {
				t.Errorf("read ahead %d bytes, want %d", len(b.buf), want)
			}
			got, err := io.ReadAll(struct{ io.Reader }{b}) // no WriterTo: small reads
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("read %d bytes (%v), want the %d of the body", len(got), err, size)
			}
			if err := b.Close(); err != nil || closed != 1 {
				t.Errorf("Close: %v, body closed %d times", err, closed)
			}
			b.end(httptest.NewRecorder())
		})
	}
}

type closeFunc struct {
	io.Reader
	close func()
}

func (c *closeFunc) Close() error { c.close(); return nil }

// TestHangBoundWhileClientSends hangs a POST whose client sends part of
// its body and then nothing, and checks that the hang ends at its bound
// with 503, without waiting for the rest of the body: neither the
// middleware, nor net/http, which reads an unread body before it writes
// the answer.
func TestHangBoundWhileClientSends(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	chaostest.Enable(t, e, `"POST /upload"=hang(100ms)`)
	returned := make(chan struct{}, 1)
	srv := hangServer(t, e, returned)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	body := io.MultiReader(bytes.NewReader(make([]byte, 1000)), stall{ctx})
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/upload", body)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("no answer at the bound: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get(HeaderInjected) == "" {
		t.Errorf("got %s, want 503 from the hang", resp.Status)
	}
	waitFor(t, returned, 1, "handler returned at the bound")
}

// stall is a body that sends nothing until its context ends.
type stall struct{ ctx context.Context }

func (s stall) Read([]byte) (int, error) {
	<-s.ctx.Done()
	return 0, s.ctx.Err()
}
