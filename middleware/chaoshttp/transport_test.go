package chaoshttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// payload is what the test servers answer.
var payload = strings.Repeat("abcdefghij", 10)

// newServer starts a server that answers payload, with a Content-Length
// unless the path is /stream, and counts the requests it gets.
func newServer(t *testing.T, hits *atomic.Int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/stream" {
			for i := 0; i < len(payload); i += 10 {
				_, _ = io.WriteString(w, payload[i:i+10])
				http.NewResponseController(w).Flush()
			}
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		_, _ = io.WriteString(w, payload)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// clientPoint is the point of requests to srv.
func clientPoint(srv *httptest.Server) string {
	u, _ := url.Parse(srv.URL)
	return "http.client " + u.Host
}

func TestTransportFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    string
		path     string
		wantErr  []error // the request fails with errors matching all of these
		wantCode int
		wantBody string
		readErr  []error // reading the body fails with errors matching these
		wantHits int64
		wantKind string // in HeaderInjected
	}{
		{name: "no fault", path: "/", wantCode: 200, wantBody: payload, wantHits: 1},
		{name: "error", fault: "error(refused)", path: "/", wantErr: []error{faults.ErrInjected}},
		{name: "abort", fault: "abort", path: "/", wantErr: []error{faults.ErrInjected, syscall.ECONNRESET}},
		{name: "badconn", fault: "badconn", path: "/", wantErr: []error{faults.ErrInjected}},
		{name: "status", fault: "status(503,down)", path: "/", wantCode: 503, wantBody: "down", wantKind: "status"},
		{name: "status without body", fault: "status(429)", path: "/", wantCode: 429, wantKind: "status"},
		{
			name: "corrupt with a declared length", fault: "corrupt", path: "/",
			wantCode: 200, wantBody: payload[:50], readErr: []error{io.ErrUnexpectedEOF, faults.ErrInjected},
			wantHits: 1, wantKind: "corrupt",
		},
		{
			name: "corrupt a stream", fault: "corrupt", path: "/stream",
			wantCode: 200, wantBody: string(routepoint.Invert(nil, []byte(payload))),
			wantHits: 1, wantKind: "corrupt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := newServer(t, &hits)
			e := chaostest.New(t)
			if tt.fault != "" {
				chaostest.Enable(t, e, strconv.Quote(clientPoint(srv))+"="+tt.fault)
			}
			client := &http.Client{Transport: Transport(srv.Client().Transport, e)}
			resp, err := client.Get(srv.URL + tt.path)
			if hits.Load() != tt.wantHits {
				t.Errorf("server hit %d times, want %d", hits.Load(), tt.wantHits)
			}
			if tt.wantErr != nil {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got %s, want an error", resp.Status)
				}
				var ue *url.Error
				if !errors.As(err, &ue) {
					t.Errorf("error %T is not a *url.Error", err)
				}
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("error %q does not match %v", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			for _, want := range tt.readErr {
				if !errors.Is(err, want) {
					t.Errorf("reading the body: %v, does not match %v", err, want)
				}
			}
			if tt.readErr == nil && err != nil {
				t.Errorf("reading the body: %v", err)
			}
			if resp.StatusCode != tt.wantCode || string(body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
			want := ""
			if tt.wantKind != "" {
				want = tt.wantKind + "; point=" + strconv.Quote(clientPoint(srv))
			}
			if got := resp.Header.Get(HeaderInjected); got != want {
				t.Errorf("%s = %q, want %q", HeaderInjected, got, want)
			}
		})
	}
}

func TestTransportPanic(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	chaostest.Enable(t, e, `"http.client example.com"=panic(boom)`)
	body := &closeCounter{Reader: strings.NewReader("x")}
	rt := Transport(failTransport{t}, e)
	defer func() {
		err, _ := recover().(error)
		if !errors.Is(err, faults.ErrInjected) || !strings.Contains(err.Error(), "boom") {
			t.Errorf("panicked with %v", err)
		}
		if body.closed.Load() != 1 {
			t.Errorf("request body closed %d times, want 1", body.closed.Load())
		}
	}()
	_, _ = rt.RoundTrip(httptest.NewRequest("POST", "http://example.com/", body))
	t.Error("RoundTrip returned")
}

func TestTransportSynthesizedResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, fault string
		want                *http.Response
		wantBody            string
	}{
		{
			name: "body", method: "GET", fault: `status(503,"try later")`, wantBody: "try later",
			want: &http.Response{
				Status: "503 Service Unavailable", StatusCode: 503, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				ContentLength: 9,
				Header: http.Header{
					"Content-Length": {"9"}, "Content-Type": {"text/plain; charset=utf-8"},
					HeaderInjected: {`status; point="http.client example.com"`},
				},
			},
		},
		{
			name: "no body", method: "GET", fault: "status(404)",
			want: &http.Response{
				Status: "404 Not Found", StatusCode: 404, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Length": {"0"}, HeaderInjected: {`status; point="http.client example.com"`}},
			},
		},
		{
			name: "head", method: "HEAD", fault: "status(200,hello)",
			want: &http.Response{
				Status: "200 OK", StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				ContentLength: 5,
				Header: http.Header{
					"Content-Length": {"5"}, "Content-Type": {"text/plain; charset=utf-8"},
					HeaderInjected: {`status; point="http.client example.com"`},
				},
			},
		},
		{
			name: "no content", method: "GET", fault: "status(204,dropped)",
			want: &http.Response{
				Status: "204 No Content", StatusCode: 204, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{HeaderInjected: {`status; point="http.client example.com"`}},
			},
		},
		{
			name: "unknown code", method: "GET", fault: "status(599)",
			want: &http.Response{
				Status: "599 status code 599", StatusCode: 599, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Length": {"0"}, HeaderInjected: {`status; point="http.client example.com"`}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			chaostest.Enable(t, e, `"http.client example.com"=`+tt.fault)
			req := httptest.NewRequest(tt.method, "http://EXAMPLE.com/x", nil)
			resp, err := Transport(failTransport{t}, e).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Request != req {
				t.Error("Response.Request is not the request")
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil || string(body) != tt.wantBody {
				t.Errorf("body %q, %v; want %q", body, err, tt.wantBody)
			}
			resp.Body, resp.Request = nil, nil
			if diff := cmp.Diff(tt.want, resp, cmp.FilterPath(func(p cmp.Path) bool {
				return p.Last().String() == ".TLS"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTransportClosesBody checks that every fault that keeps the request
// from base closes its body, and that one that sends it leaves that to
// base.
func TestTransportClosesBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault      string
		cancel     bool // cancel the request's context while it waits
		wantClosed int64
	}{
		{fault: "error", wantClosed: 1},
		{fault: "abort", wantClosed: 1},
		{fault: "badconn", wantClosed: 1},
		{fault: "status(500)", wantClosed: 1},
		{fault: "hang", cancel: true, wantClosed: 1},
		{fault: "hang(5m)", cancel: true, wantClosed: 1},
		{fault: "hang(10s)", wantClosed: 1}, // the bound passes first
		{fault: "delay(1h)", cancel: true, wantClosed: 1},
		{fault: "delay(1s)", wantClosed: 0}, // sent: base owns the body
		{fault: "corrupt", wantClosed: 0},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := chaostest.New(t)
				chaostest.Enable(t, e, `"http.client example.com"=`+tt.fault)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancel {
					time.AfterFunc(30*time.Second, cancel) // before the default bound of hang
				}
				body := &closeCounter{Reader: strings.NewReader("payload")}
				req := httptest.NewRequestWithContext(ctx, "POST", "http://example.com/", body)
				var sent atomic.Int64
				base := roundTripFunc(func(*http.Request) (*http.Response, error) {
					sent.Add(1)
					return cannedResponse(), nil
				})
				resp, err := Transport(base, e).RoundTrip(req)
				if err == nil {
					resp.Body.Close()
				}
				if got := body.closed.Load(); got != tt.wantClosed {
					t.Errorf("body closed %d times, want %d", got, tt.wantClosed)
				}
				if tt.cancel && !errors.Is(err, context.Canceled) {
					t.Errorf("error %v, want context.Canceled", err)
				}
				if got := sent.Load(); got != 1-tt.wantClosed {
					t.Errorf("base sent %d requests, want %d", got, 1-tt.wantClosed)
				}
			})
		})
	}
}

func TestTransportWaits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    string
		timeout  time.Duration
		disable  time.Duration // throw the kill switch after this; 0 never
		wantTime time.Duration
		wantErr  error
	}{
		{name: "latency", fault: "delay(3s)", wantTime: 3 * time.Second},
		{name: "latency beyond the deadline", fault: "delay(1m)", timeout: 10 * time.Second, wantTime: 10 * time.Second, wantErr: context.DeadlineExceeded},
		{name: "hang until the deadline", fault: "hang", timeout: 30 * time.Second, wantTime: 30 * time.Second, wantErr: context.DeadlineExceeded},
		{name: "hang until its bound", fault: "hang(5s)", timeout: time.Hour, wantTime: 5 * time.Second, wantErr: faults.ErrInjected},
		{name: "hang until the default bound", fault: "hang", wantTime: faults.DefaultHangLimit, wantErr: faults.ErrInjected},
		{name: "kill switch ends latency", fault: "delay(1h)", disable: 3 * time.Second, wantTime: 3 * time.Second},
		{name: "kill switch ends a hang", fault: "hang", disable: 3 * time.Second, wantTime: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := chaostest.New(t)
				chaostest.Enable(t, e, `"http.client example.com"=`+tt.fault)
				ctx := t.Context()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				if tt.disable > 0 {
					time.AfterFunc(tt.disable, func() { e.Disable("test") })
				}
				var sent atomic.Int64
				client := &http.Client{Transport: Transport(roundTripFunc(func(*http.Request) (*http.Response, error) {
					sent.Add(1)
					return cannedResponse(), nil
				}), e)}
				req, _ := http.NewRequestWithContext(ctx, "GET", "http://example.com/", nil)
				start := time.Now()
				resp, err := client.Do(req)
				if took := time.Since(start); took != tt.wantTime {
					t.Errorf("took %v, want %v", took, tt.wantTime)
				}
				if tt.wantErr == nil {
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if sent.Load() != 1 {
						t.Error("the request was not sent")
					}
					return
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v, want %v", err, tt.wantErr)
				}
			})
		})
	}
}

func TestTransportPointNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []Option
		target string
		want   string
	}{
		{name: "host", target: "http://api.example.com/v1/users/7", want: "http.client api.example.com"},
		{name: "host and port", target: "http://10.0.0.7:8080/", want: "http.client 10.0.0.7:8080"},
		{name: "upper case", target: "https://API.Example.COM/", want: "http.client api.example.com"},
		{name: "no host", target: "/relative", want: "http.client (other)"},
		{name: "custom", opts: []Option{WithPointName(func(r *http.Request) string { return "payments" })}, target: "http://x/", want: "payments"},
		{name: "custom empty", opts: []Option{WithPointName(func(r *http.Request) string { return "" })}, target: "http://x/", want: "http.client (other)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			chaostest.Enable(t, e, "*=status(299)")
			req := &http.Request{Method: "GET", URL: mustParse(t, tt.target), Header: http.Header{}}
			resp, err := Transport(failTransport{t}, e, tt.opts...).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			_, point, _ := strings.Cut(resp.Header.Get(HeaderInjected), "; point=")
			if got, _ := strconv.Unquote(point); got != tt.want {
				t.Errorf("point %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTransportMaxPoints holds the rule for the bound: zero means the
// default (1024), negative means none.
func TestTransportMaxPoints(t *testing.T) {
	t.Parallel()
	const hosts = routepoint.DefaultMaxPoints + 76
	tests := []struct {
		name string
		opts []Option
		want int // points, "http.client (other)" included
	}{
		{"five", []Option{WithMaxPoints(5)}, 5 + 1},
		{"default", nil, routepoint.DefaultMaxPoints + 1},
		{"zero means default", []Option{WithMaxPoints(0)}, routepoint.DefaultMaxPoints + 1},
		{"negative means none", []Option{WithMaxPoints(-1)}, hosts + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			rt := Transport(roundTripFunc(func(*http.Request) (*http.Response, error) { return cannedResponse(), nil }), e, tt.opts...)
			for i := range hosts {
				req := httptest.NewRequest("GET", "http://host"+strconv.Itoa(i)+".example.com/", nil)
				if _, err := rt.RoundTrip(req); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(e.Stats().Points); n != tt.want {
				t.Errorf("%d points, want %d", n, tt.want)
			}
		})
	}
}

func TestTransportHeaderLabels(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	chaostest.Enable(t, e, `"http.client *"=error[label.tenant=acme,label.method=POST]`)
	rt := Transport(roundTripFunc(func(*http.Request) (*http.Response, error) { return cannedResponse(), nil }), e,
		WithHeaderLabel("X-Tenant", "tenant"))

	for _, tc := range []struct {
		method, tenant string
		fails          bool
	}{
		{"POST", "acme", true},
		{"GET", "acme", false},
		{"POST", "globex", false},
		{"POST", "", false},
	} {
		req := httptest.NewRequest(tc.method, "http://example.com/", nil)
		if tc.tenant != "" {
			req.Header.Set("X-Tenant", tc.tenant)
		}
		_, err := rt.RoundTrip(req)
		if got := errors.Is(err, faults.ErrInjected); got != tc.fails {
			t.Errorf("%s as %q: failed = %v, want %v", tc.method, tc.tenant, got, tc.fails)
		}
	}
}

func TestTransportDefaults(t *testing.T) {
	t.Parallel()
	saved := chaos.Default()
	rt := Transport(nil, nil).(*transport)
	if rt.base != http.DefaultTransport || rt.g.e != saved {
		t.Error("nil engine and base are not the defaults")
	}
	var closed atomic.Int64
	base := closeIdle{closed: &closed}
	(&http.Client{Transport: Transport(base, nil)}).CloseIdleConnections()
	if closed.Load() != 1 {
		t.Error("CloseIdleConnections did not reach base")
	}
}

type closeIdle struct {
	http.RoundTripper
	closed *atomic.Int64
}

func (c closeIdle) CloseIdleConnections() { c.closed.Add(1) }

// roundTripFunc is a RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// failTransport fails the test if a request reaches it.
type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("request to %s was sent", r.URL)
	return nil, errors.New("sent")
}

// cannedResponse is a small, valid response.
func cannedResponse() *http.Response {
	return &http.Response{
		Status: "200 OK", StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2,
	}
}

// closeCounter is a request body that counts its closes.
type closeCounter struct {
	io.Reader
	closed atomic.Int64
}

func (c *closeCounter) Close() error {
	c.closed.Add(1)
	return nil
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
