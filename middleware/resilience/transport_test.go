package resilience

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fastRetry retries at once-ish, so that tests against a real server do not
// wait.
var fastRetry = Retry{MaxAttempts: 3, InitialInterval: time.Microsecond, MaxInterval: time.Microsecond, Jitter: -1}

// bodyLog wraps a RoundTripper and records whether each response body it
// returned was closed.
type bodyLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	resp []*trackedBody
}

type trackedBody struct {
	io.ReadCloser
	closed atomic.Bool
}

func (b *trackedBody) Close() error {
	b.closed.Store(true)
	return b.ReadCloser.Close()
}

func (l *bodyLog) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	tb := &trackedBody{ReadCloser: resp.Body}
	resp.Body = tb
	l.mu.Lock()
	l.resp = append(l.resp, tb)
	l.mu.Unlock()
	return resp, nil
}

// closed reports, per response, whether its body was closed.
func (l *bodyLog) closed() []bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]bool, len(l.resp))
	for i, b := range l.resp {
		out[i] = b.closed.Load()
	}
	return out
}

// requestBody is a request body that records that it was closed, and has no
// GetBody counterpart unless the test sets one.
type requestBody struct {
	*strings.Reader
	closed atomic.Bool
}

func (b *requestBody) Close() error { b.closed.Store(true); return nil }

// flakyServer answers with the statuses in order (200 past the end) and
// records each request's method and body.
type flakyServer struct {
	statuses []int
	mu       sync.Mutex
	seen     []string
}

func (s *flakyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.seen)
	s.seen = append(s.seen, r.Method+" "+string(body))
	s.mu.Unlock()
	code := http.StatusOK
	if n < len(s.statuses) {
		code = s.statuses[n]
	}
	w.WriteHeader(code)
	io.WriteString(w, http.StatusText(code))
}

func (s *flakyServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func TestTransport(t *testing.T) {
	const unavailable = http.StatusServiceUnavailable
	tests := []struct {
		name        string
		statuses    []int
		strategy    Strategy
		opts        []TransportOption
		method      string
		body        string // sent without GetBody unless getBody
		getBody     bool
		header      string // Idempotency-Key value, if any
		wantStatus  int
		wantErr     error
		wantSeen    []string
		wantClosed  []bool // per response: closed before the caller closed the last
		wantReqBody bool   // request body closed (when there is one)
	}{
		{
			name: "GET retried on 503", statuses: []int{unavailable, unavailable}, strategy: fastRetry, opts: []TransportOption{WithFailureStatus(TransientStatus)},
			method: "GET", wantStatus: 200, wantSeen: []string{"GET ", "GET ", "GET "}, wantClosed: []bool{true, true, false},
		},
		{
			name: "last 503 returned when retries run out", statuses: []int{unavailable, unavailable, unavailable}, strategy: fastRetry, opts: []TransportOption{WithFailureStatus(TransientStatus)},
			method: "GET", wantStatus: unavailable, wantSeen: []string{"GET ", "GET ", "GET "}, wantClosed: []bool{true, true, false},
		},
		{
			name: "statuses are successes by default", statuses: []int{unavailable}, strategy: fastRetry,
			method: "GET", wantStatus: unavailable, wantSeen: []string{"GET "}, wantClosed: []bool{false},
		},
		{
			name: "POST without GetBody not retried", statuses: []int{unavailable}, strategy: fastRetry, opts: []TransportOption{WithFailureStatus(TransientStatus)},
			method: "POST", body: "charge", wantStatus: unavailable, wantSeen: []string{"POST charge"}, wantClosed: []bool{false}, wantReqBody: true,
		},
		{
			name: "POST with GetBody but no idempotency key not retried", statuses: []int{unavailable}, strategy: fastRetry, opts: []TransportOption{WithFailureStatus(TransientStatus)},
			method: "POST", body: "charge", getBody: true, wantStatus: unavailable, wantSeen: []string{"POST charge"}, wantClosed: []bool{false}, wantReqBody: true,
		},
		{
			name: "POST with idempotency key and GetBody retried", statuses: []int{unavailable}, strategy: fastRetry, opts: []TransportOption{WithFailureStatus(TransientStatus)},
			method: "POST", body: "charge", getBody: true, header: "k1",
			wantStatus: 200, wantSeen: []string{"POST charge", "POST charge"}, wantClosed: []bool{true, false}, wantReqBody: true,
		},
		{
			name: "PUT without GetBody not retried", statuses: []int{unavailable}, strategy: fastRetry, opts: []TransportOption{WithFailureStatus(TransientStatus)},
			method: "PUT", body: "v", wantStatus: unavailable, wantSeen: []string{"PUT v"}, wantClosed: []bool{false}, wantReqBody: true,
		},
		{
			name: "PUT with GetBody retried", statuses: []int{unavailable}, strategy: fastRetry, opts: []TransportOption{WithFailureStatus(TransientStatus)},
			method: "PUT", body: "v", getBody: true, wantStatus: 200, wantSeen: []string{"PUT v", "PUT v"}, wantClosed: []bool{true, false}, wantReqBody: true,
		},
		{
			name: "rejected by strategy: body closed, nothing sent", strategy: StrategyFunc(func(context.Context, func(context.Context) error) error { return ErrOpen }),
			method: "POST", body: "x", wantErr: ErrOpen, wantSeen: nil, wantClosed: []bool{}, wantReqBody: true,
		},
		{
			name: "fallback swallowing a failure status", strategy: FallbackFunc(func(context.Context, error) error { return nil }),
			statuses: []int{unavailable}, opts: []TransportOption{WithFailureStatus(TransientStatus)},
			method: "GET", wantStatus: unavailable, wantSeen: []string{"GET "}, wantClosed: []bool{false},
		},
		{
			name: "fallback swallowing a rejection has no response",
			strategy: Chain(
				FallbackFunc(func(context.Context, error) error { return nil }),
				StrategyFunc(func(context.Context, func(context.Context) error) error { return ErrOpen }),
			),
			method: "GET", wantErr: errNoResponse, wantSeen: nil, wantClosed: []bool{},
		},
		{
			name: "nil strategy sends once", statuses: []int{unavailable}, opts: []TransportOption{WithFailureStatus(TransientStatus)},
			method: "GET", wantStatus: unavailable, wantSeen: []string{"GET "}, wantClosed: []bool{false},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := &flakyServer{statuses: tc.statuses}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			log := &bodyLog{base: ts.Client().Transport}
			client := &http.Client{Transport: Transport(log, tc.strategy, tc.opts...)}
			defer client.CloseIdleConnections()

			var body *requestBody
			req, err := http.NewRequestWithContext(t.Context(), tc.method, ts.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.body != "" {
				body = &requestBody{Reader: strings.NewReader(tc.body)}
				req.Body, req.ContentLength = body, int64(len(tc.body))
				if tc.getBody {
					req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(tc.body)), nil }
				}
			}
			if tc.header != "" {
				req.Header.Set("Idempotency-Key", tc.header)
			}
			resp, err := client.Do(req)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Do = %v, want %v", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Do = %v", err)
				}
				got, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != tc.wantStatus || string(got) != http.StatusText(tc.wantStatus) {
					t.Errorf("response %d %q (%v), want %d %q", resp.StatusCode, got, err, tc.wantStatus, http.StatusText(tc.wantStatus))
				}
			}
			if diff := cmp.Diff(tc.wantSeen, srv.requests()); diff != "" {
				t.Errorf("requests the server saw (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantClosed, log.closed()); diff != "" {
				t.Errorf("response bodies closed by the transport (-want +got):\n%s", diff)
			}
			if resp != nil {
				resp.Body.Close()
				for i, c := range log.closed() {
					if !c {
						t.Errorf("response %d not closed after the caller closed its body", i)
					}
				}
			}
			if body != nil && body.closed.Load() != tc.wantReqBody {
				t.Errorf("request body closed: %v, want %v", body.closed.Load(), tc.wantReqBody)
			}
		})
	}
}

func TestTransportRetriesConnectionErrors(t *testing.T) {
	srv := &flakyServer{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var calls atomic.Int32
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, errBoom
		}
		return ts.Client().Transport.RoundTrip(req)
	})
	tr := Transport(base, fastRetry)
	defer tr.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip = %v", err)
	}
	resp.Body.Close()
	if calls.Load() != 2 || resp.StatusCode != 200 {
		t.Errorf("%d calls, status %d; want 2, 200", calls.Load(), resp.StatusCode)
	}

	// Not replayable: the error comes back at once.
	calls.Store(0)
	req, _ = http.NewRequestWithContext(t.Context(), "POST", ts.URL, strings.NewReader("x"))
	if _, err := tr.RoundTrip(req); !errors.Is(err, errBoom) || calls.Load() != 1 {
		t.Errorf("POST: RoundTrip = %v after %d calls; want boom after 1", err, calls.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransportBodyOutlivesTimeout checks that a Timeout in the strategy, which
// cancels its context as soon as it returns, does not cut off a response body
// that the caller reads afterwards.
func TestTransportBodyOutlivesTimeout(t *testing.T) {
	rest := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "head ")
		w.(http.Flusher).Flush()
		select {
		case <-rest:
			io.WriteString(w, "tail")
		case <-r.Context().Done():
		}
	}))
	defer ts.Close()
	client := &http.Client{Transport: Transport(ts.Client().Transport, Timeout{Duration: time.Minute})}
	defer client.CloseIdleConnections()
	resp, err := client.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	close(rest)
	got, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != "head tail" {
		t.Errorf("body %q, %v; want the whole body", got, err)
	}
}

// TestTransportTimeout checks, in a bubble with an in-memory handler, that a
// Timeout bounds each attempt and that a Retry around it tries again.
func TestTransportTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				<-r.Context().Done() // hang until the attempt is canceled
				return
			}
			io.WriteString(w, "ok")
		})
		p := Chain(Retry{MaxAttempts: 2, InitialInterval: time.Second, Jitter: -1}, Timeout{Duration: 5 * time.Second})
		tr := Transport(handlerTransport{handler}, p)
		req := httptest.NewRequestWithContext(t.Context(), "GET", "http://example.test/", nil)
		req.RequestURI = ""
		start := time.Now()
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip = %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if took := time.Since(start); took != 6*time.Second || string(body) != "ok" || calls.Load() != 2 {
			t.Errorf("took %v, body %q, %d calls; want 6s, ok, 2", took, body, calls.Load())
		}
	})
}

// handlerTransport serves requests with an http.Handler in memory, so that
// it works inside a synctest bubble.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}

func TestTransientStatus(t *testing.T) {
	for code := 100; code < 600; code++ {
		want := code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504
		if got := TransientStatus(code); got != want {
			t.Errorf("TransientStatus(%d) = %v", code, got)
		}
	}
	if got := (&StatusError{StatusCode: 503}).Error(); got != "resilience: server responded 503 Service Unavailable" {
		t.Errorf("StatusError = %q", got)
	}
}

func TestIdempotent(t *testing.T) {
	tests := []struct {
		method, header string
		want           bool
	}{
		{"", "", true}, {"GET", "", true}, {"HEAD", "", true}, {"OPTIONS", "", true}, {"TRACE", "", true},
		{"PUT", "", true}, {"DELETE", "", true}, {"POST", "", false}, {"PATCH", "", false},
		{"POST", "Idempotency-Key", true}, {"PATCH", "X-Idempotency-Key", true},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.header, func(t *testing.T) {
			req := &http.Request{Method: tc.method, Header: http.Header{}}
			if tc.header != "" {
				req.Header[tc.header] = nil // present without a value counts, as in net/http
			}
			if got := idempotent(req); got != tc.want {
				t.Errorf("idempotent = %v, want %v", got, tc.want)
			}
		})
	}
}
