package chaoshttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// usersPattern is the route the server tests target.
const usersPattern = "GET /users/{id}"

// usersMux returns a mux serving usersPattern through the middleware of e,
// and counts the calls that reach the handler.
func usersMux(e *chaos.Engine, calls *atomic.Int64, opts ...Option) *http.ServeMux {
	mw := Middleware(e, opts...)
	mux := http.NewServeMux()
	mux.Handle(usersPattern, mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, "user "+r.PathValue("id"))
	})))
	return mux
}

// recovered serves req with h and returns the recorder and what h panicked
// with, if anything.
func recovered(h http.Handler, req *http.Request) (rec *httptest.ResponseRecorder, panicked any) {
	rec = httptest.NewRecorder()
	defer func() { panicked = recover() }()
	h.ServeHTTP(rec, req)
	return rec, nil
}

func TestMiddlewareFaults(t *testing.T) {
	t.Parallel()
	const value = `; point="GET /users/{id}"`
	tests := []struct {
		name       string
		fault      string // the fault of a rule naming usersPattern; "" for no plan
		opts       []Option
		wantCode   int
		wantBody   string // a prefix of the body
		wantKind   string // the kind in HeaderInjected; "" for none
		wantCalled bool
		wantPanic  func(any) bool
	}{
		{name: "no plan", wantCode: 200, wantBody: "user 42", wantCalled: true},
		{name: "error", fault: "error(boom)", wantCode: 500, wantBody: "faultline: injected error at GET /users/{id}: boom", wantKind: "error"},
		{name: "error with code", fault: "error(boom,502)", wantCode: 502, wantBody: "faultline: injected error", wantKind: "error"},
		{name: "badconn answers 500", fault: "badconn", wantCode: 500, wantBody: "faultline: injected badconn", wantKind: "badconn"},
		{name: "status with body", fault: "status(418,teapot)", wantCode: 418, wantBody: "teapot", wantKind: "status"},
		{name: "status without body", fault: "status(503)", wantCode: 503, wantBody: "", wantKind: "status"},
		{name: "status 204 drops the body", fault: "status(204,ignored)", wantCode: 204, wantBody: "", wantKind: "status"},
		{name: "corrupt", fault: "corrupt", wantCode: 200, wantBody: string(routepoint.Invert(nil, []byte("user 42"))), wantKind: "corrupt", wantCalled: true},
		{name: "recovered panic", fault: "panic(oops)", opts: []Option{WithRecoverPanics()}, wantCode: 500, wantBody: "faultline: injected panic at GET /users/{id}: oops", wantKind: "panic"},
		{
			name: "abort", fault: "abort",
			wantPanic: func(v any) bool { return v == http.ErrAbortHandler },
		},
		{
			name: "panic", fault: "panic(oops)",
			wantPanic: func(v any) bool {
				err, ok := v.(error)
				return ok && errors.Is(err, faults.ErrInjected) && strings.Contains(err.Error(), "oops")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			if tt.fault != "" {
				chaostest.Enable(t, e, strconv.Quote(usersPattern)+"="+tt.fault)
			}
			var calls atomic.Int64
			mux := usersMux(e, &calls, tt.opts...)
			rec, panicked := recovered(mux, httptest.NewRequest("GET", "/users/42", nil))
			if got := calls.Load() > 0; got != tt.wantCalled {
				t.Errorf("handler called = %v, want %v", got, tt.wantCalled)
			}
			if tt.wantPanic != nil {
				if !tt.wantPanic(panicked) {
					t.Fatalf("panicked with %#v", panicked)
				}
				return
			}
			if panicked != nil {
				t.Fatalf("unexpected panic: %v", panicked)
			}
			if rec.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantCode)
			}
			if body := rec.Body.String(); !strings.HasPrefix(body, tt.wantBody) || (tt.wantBody == "" && body != "") {
				t.Errorf("body = %q, want prefix %q", body, tt.wantBody)
			}
			want := ""
			if tt.wantKind != "" {
				want = tt.wantKind + value
			}
			if got := rec.Header().Get(HeaderInjected); got != want {
				t.Errorf("%s = %q, want %q", HeaderInjected, got, want)
			}
		})
	}
}

// TestMiddlewareOverTheWire checks what a real client sees of the faults
// that act on the connection.
func TestMiddlewareOverTheWire(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("0123456789", 10)
	tests := []struct {
		name     string
		plan     string
		path     string
		wantErr  bool // the request itself fails
		wantCode int
		wantBody string
		readErr  error // reading the body fails with this
	}{
		{name: "status", plan: `"GET /users/{id}"=status(503,"try later")`, path: "/users/1", wantCode: 503, wantBody: "try later"},
		{name: "error", plan: `"GET /users/{id}"=error(down,504)`, path: "/users/1", wantCode: 504, wantBody: "faultline: injected error at GET /users/{id}: down\n"},
		{name: "abort cuts the connection", plan: `"GET /users/{id}"=abort`, path: "/users/1", wantErr: true},
		{name: "panic cuts the connection", plan: `"GET /users/{id}"=panic`, path: "/users/1", wantErr: true},
		{name: "corrupt with a declared length", plan: `"GET /sized"=corrupt`, path: "/sized", wantCode: 200, wantBody: body[:50], readErr: io.ErrUnexpectedEOF},
		{name: "corrupt without a declared length", plan: `"GET /stream"=corrupt`, path: "/stream", wantCode: 200, wantBody: string(routepoint.Invert(nil, []byte(body)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			chaostest.Enable(t, e, tt.plan)
			var calls atomic.Int64
			mux := usersMux(e, &calls)
			mw := Middleware(e)
			mux.Handle("GET /sized", mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				_, _ = io.WriteString(w, body[:30])
				_, _ = io.WriteString(w, body[30:])
			})))
			mux.Handle("GET /stream", mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for i := 0; i < len(body); i += 10 {
					_, _ = io.WriteString(w, body[i:i+10])
					http.NewResponseController(w).Flush() // a streaming handler
				}
			})))
			srv := httptest.NewUnstartedServer(mux)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the panic case logs
			srv.Start()
			defer srv.Close()

			resp, err := srv.Client().Get(srv.URL + tt.path)
			if tt.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got %s, want a failed request", resp.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if !errors.Is(err, tt.readErr) {
				t.Errorf("reading the body: %v, want %v", err, tt.readErr)
			}
			if resp.StatusCode != tt.wantCode || string(got) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, got, tt.wantCode, tt.wantBody)
			}
			if resp.Header.Get(HeaderInjected) == "" {
				t.Errorf("no %s header", HeaderInjected)
			}
		})
	}
}

func TestMiddlewareWaits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    string
		cancel   time.Duration // cancel the request's context after this; 0 never
		disable  time.Duration // throw the kill switch after this; 0 never
		wantCode int
		wantTime time.Duration
		called   bool
	}{
		{name: "latency", fault: "delay(2s)", wantCode: 200, wantTime: 2 * time.Second, called: true},
		{name: "latency with jitter", fault: "delay(2s,1s)", wantCode: 200, called: true},
		{name: "client leaves during latency", fault: "delay(1m)", cancel: 5 * time.Second, wantCode: 503, wantTime: 5 * time.Second},
		{name: "hang until the client leaves", fault: "hang", cancel: 30 * time.Second, wantCode: 503, wantTime: 30 * time.Second},
		{name: "hang until its bound", fault: "hang(5s)", cancel: time.Hour, wantCode: 503, wantTime: 5 * time.Second},
		{name: "hang until the default bound", fault: "hang", wantCode: 503, wantTime: faults.DefaultHangLimit},
		{name: "kill switch ends latency", fault: "delay(1h)", disable: 3 * time.Second, wantCode: 200, wantTime: 3 * time.Second, called: true},
		{name: "kill switch ends a hang", fault: "hang", disable: 3 * time.Second, wantCode: 200, wantTime: 3 * time.Second, called: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := chaostest.New(t)
				chaostest.Enable(t, e, strconv.Quote(usersPattern)+"="+tt.fault)
				var calls atomic.Int64
				mux := usersMux(e, &calls)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancel > 0 {
					time.AfterFunc(tt.cancel, cancel)
				}
				if tt.disable > 0 {
					time.AfterFunc(tt.disable, func() { e.Disable("test") })
				}
				start := time.Now()
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", "/users/7", nil))
				took := time.Since(start)
				if tt.wantTime != 0 && took != tt.wantTime {
					t.Errorf("took %v, want %v", took, tt.wantTime)
				}
				if tt.wantTime == 0 && (took < 2*time.Second || took > 3*time.Second) {
					t.Errorf("took %v, want 2s to 3s", took)
				}
				if rec.Code != tt.wantCode {
					t.Errorf("status = %d, want %d", rec.Code, tt.wantCode)
				}
				if got := calls.Load() == 1; got != tt.called {
					t.Errorf("handler called = %v, want %v", got, tt.called)
				}
				kind, _, _ := strings.Cut(rec.Header().Get(HeaderInjected), ";")
				if want := strings.Fields(strings.NewReplacer("(", " ", "delay", "latency").Replace(tt.fault))[0]; kind != want {
					t.Errorf("%s kind = %q, want %q", HeaderInjected, kind, want)
				}
			})
		})
	}
}

// pointOf serves req with h under a plan that fires a status for every
// point, and returns the point the response names.
func pointOf(t *testing.T, h http.Handler, req *http.Request) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	v := rec.Header().Get(HeaderInjected)
	_, point, ok := strings.Cut(v, `; point=`)
	if !ok {
		t.Fatalf("%s %s: no point in %q (status %d)", req.Method, req.URL, v, rec.Code)
	}
	p, err := strconv.Unquote(point)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return p
}

func TestMiddlewarePointNames(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	patterns := []string{"GET /users/{id}", "/upload", "POST\t /tabbed", "GET example.com/hosted", "/files/"}
	requests := []struct {
		method, target string
		want           string
	}{
		{"GET", "/users/7", "GET /users/{id}"},
		{"HEAD", "/users/7", "GET /users/{id}"},
		{"POST", "/upload", "POST /upload"},
		{"PUT", "/upload", "PUT /upload"},
		{"PURGE", "/upload", "OTHER /upload"},
		{"POST", "/tabbed", "POST /tabbed"},
		{"GET", "http://example.com/hosted", "GET example.com/hosted"},
		{"GET", "/files/a/b/c.txt", "GET /files/"},
		{"GET", "/nowhere/1", "GET (unmatched)"},
		{"DELETE", "/users/7", "DELETE (unmatched)"}, // method not allowed
		{"BREW", "/coffee", "OTHER (unmatched)"},
	}
	placements := []struct {
		name    string
		handler func(e *chaos.Engine) http.Handler
	}{
		{"inside the mux", func(e *chaos.Engine) http.Handler {
			mux := http.NewServeMux()
			mw := Middleware(e)
			for _, p := range patterns {
				mux.Handle(p, mw(ok))
			}
			// What no pattern matches never reaches a middleware inside
			// the mux; one around the NotFound handler sees no pattern.
			return notFound{mux, mw(ok)}
		}},
		{"around the mux", func(e *chaos.Engine) http.Handler {
			mux := http.NewServeMux()
			for _, p := range patterns {
				mux.Handle(p, ok)
			}
			return Middleware(e)(mux)
		}},
		{"around a handler ending in the mux", func(e *chaos.Engine) http.Handler {
			mux := http.NewServeMux()
			for _, p := range patterns {
				mux.Handle(p, ok)
			}
			logging := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, r) })
			return Middleware(e, WithServeMux(mux))(logging)
		}},
	}
	for _, pl := range placements {
		t.Run(pl.name, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			chaostest.Enable(t, e, "*=status(299)")
			h := pl.handler(e)
			for _, r := range requests {
				got := pointOf(t, h, httptest.NewRequest(r.method, r.target, nil))
				if got != r.want {
					t.Errorf("%s %s: point %q, want %q", r.method, r.target, got, r.want)
				}
			}
		})
	}
}

// notFound serves what mux routes to a pattern with mux, and the rest with
// fallback, as a mux's NotFound handler would.
type notFound struct {
	mux      *http.ServeMux
	fallback http.Handler
}

func (n notFound) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := n.mux.Handler(r); pattern == "" {
		n.fallback.ServeHTTP(w, r)
		return
	}
	n.mux.ServeHTTP(w, r)
}

func TestMiddlewarePointNameOption(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	chaostest.Enable(t, e, "*=status(299)")
	h := Middleware(e, WithPointName(func(r *http.Request) string {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			return "api"
		}
		return ""
	}))(http.NotFoundHandler())
	for target, want := range map[string]string{"/api/x": "api", "/api/y/z": "api", "/other": "GET (unmatched)"} {
		if got := pointOf(t, h, httptest.NewRequest("GET", target, nil)); got != want {
			t.Errorf("%s: point %q, want %q", target, got, want)
		}
	}
}

// TestMiddlewareBoundedPoints sends 100,000 requests to random paths with
// random routepoint.Methods through every placement, and checks that the engine's
// points stay a small, fixed set.
func TestMiddlewareBoundedPoints(t *testing.T) {
	t.Parallel()
	e := armed(t)
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	inner := http.NewServeMux()
	mw := Middleware(e)
	inner.Handle("GET /users/{id}", mw(ok))
	inner.Handle("/static/", mw(ok))
	inner.Handle("/", mw(ok)) // every path matches, under one pattern
	outer := http.NewServeMux()
	outer.Handle("GET /users/{id}", ok)
	outer.Handle("/static/", ok)
	// Around the mux, the middleware names points from outer.Handler(r);
	// serving through outer as well would add nothing but time.
	around := Middleware(e, WithServeMux(outer))(ok)
	bare := Middleware(e)(ok) // no mux at all

	const n = 100_000
	rnd := rand.New(rand.NewPCG(chaostest.Seed(t), 0))
	methodsSent := []string{"GET", "POST", "DELETE", "PATCH", "PURGE", "BREW", "CONNECT"}
	var w discard
	for i := range n {
		req := &http.Request{
			Method: methodsSent[rnd.IntN(len(methodsSent))],
			URL:    &url.URL{Path: randPath(rnd)},
			Host:   "example.com",
			Header: http.Header{},
		}
		if i%3 == 0 {
			req.URL.Path = "/users" + req.URL.Path
		}
		around.ServeHTTP(&w, req)
		bare.ServeHTTP(&w, req)
		if i%10 == 0 { // its names are the mux's patterns: fewer will do
			inner.ServeHTTP(&w, req)
		}
	}
	points := e.Stats().Points
	t.Logf("%d points after %d requests", len(points), n)
	if len(points) < 11 {
		t.Fatalf("only %d points: the middleware did not name the requests", len(points))
	}
	// inner: "GET /users/{id}", 10 x "M /static/", 10 x "M /"; around
	// adds 10 x "M (unmatched)"; bare uses those too.
	if len(points) > 31 {
		names := make([]string, len(points))
		for i, p := range points {
			names[i] = p.Point
		}
		t.Fatalf("%d points after %d random paths, want at most 31: %q", len(points), n, names)
	}
}

func TestMiddlewareMaxPoints(t *testing.T) {
	t.Parallel()
	e := armed(t)
	var i atomic.Int64
	h := Middleware(e, WithMaxPoints(10), WithPointName(func(*http.Request) string {
		return "name-" + strconv.FormatInt(i.Add(1), 10) // unbounded, on purpose
	}))(http.NotFoundHandler())
	for range 1000 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	if n := len(e.Stats().Points); n != 10+1 { // ten names and "GET (unmatched)"
		t.Errorf("%d points, want 11", n)
	}
}

func TestMiddlewareHeaderLabels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		plan string
		req  func(i int) *http.Request
		want func(i, code int) error
	}{
		{
			name: "label match",
			plan: `"GET /users/{id}"=status(503)[label.tenant=acme]`,
			req: func(i int) *http.Request {
				r := httptest.NewRequest("GET", "/users/1", nil)
				r.Header.Set("X-Tenant", []string{"acme", "globex", ""}[i%3])
				return r
			},
			want: func(i, code int) error {
				if want := []int{503, 200, 200}[i%3]; code != want {
					return fmt.Errorf("tenant %d: status %d, want %d", i%3, code, want)
				}
				return nil
			},
		},
		{
			name: "method label",
			plan: `*=status(503)[label.method=HEAD]`,
			req: func(i int) *http.Request {
				return httptest.NewRequest([]string{"GET", "HEAD"}[i%2], "/users/1", nil)
			},
			want: func(i, code int) error {
				if want := []int{200, 503}[i%2]; code != want {
					return fmt.Errorf("request %d: status %d, want %d", i, code, want)
				}
				return nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			chaostest.Enable(t, e, tt.plan)
			var calls atomic.Int64
			mux := usersMux(e, &calls, WithHeaderLabel("x-tenant", "tenant"))
			for i := range 30 {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, tt.req(i))
				if err := tt.want(i, rec.Code); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestMiddlewareSticky checks that a sticky rule keyed on a header label
// gives each tenant one outcome for every request, draws some tenants in
// and leaves others out, and never fires without the header.
func TestMiddlewareSticky(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	chaostest.Enable(t, e, `"GET /users/{id}"=50%status(503)[sticky=tenant]`)
	var calls atomic.Int64
	mux := usersMux(e, &calls, WithHeaderLabel("X-Tenant", "tenant"))
	serve := func(tenant string) int {
		r := httptest.NewRequest("GET", "/users/1", nil)
		if tenant != "" {
			r.Header.Set("X-Tenant", tenant)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec.Code
	}
	in := 0
	for tenant := range 40 {
		name := "tenant-" + strconv.Itoa(tenant)
		first := serve(name)
		for range 5 {
			if got := serve(name); got != first {
				t.Fatalf("%s: status %d then %d", name, first, got)
			}
		}
		if first == 503 {
			in++
		}
	}
	if in == 0 || in == 40 {
		t.Errorf("%d of 40 tenants drawn in at 50%%", in)
	}
	for range 10 {
		if got := serve(""); got != 200 {
			t.Fatalf("without the header: status %d", got)
		}
	}
}

func TestCorruptWriterKeepsInterfaces(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	chaostest.Enable(t, e, `"GET /stream"=corrupt`)
	var flushed, deadline error
	var isFlusher bool
	mux := http.NewServeMux()
	mux.Handle("GET /stream", Middleware(e)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, isFlusher = w.(http.Flusher)
		w.Header().Set("Content-Length", "12")
		_, _ = io.WriteString(w, "abcdefgh")
		rc := http.NewResponseController(w)
		flushed = rc.Flush()
		deadline = rc.SetWriteDeadline(time.Time{}) // reached through Unwrap
		_, _ = io.WriteString(w, "ijkl")
	})))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/stream", nil))
	if !isFlusher || flushed != nil || !rec.Flushed {
		t.Errorf("flusher %v, flush error %v, recorder flushed %v", isFlusher, flushed, rec.Flushed)
	}
	if !errors.Is(deadline, http.ErrNotSupported) {
		// the recorder has no deadlines: the error must come from it, unwrapped
		t.Errorf("SetWriteDeadline: %v, want ErrNotSupported from the recorder", deadline)
	}
	if diff := cmp.Diff("abcdef", rec.Body.String()); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// randPath returns a random URL path of up to five segments, with the odd
// dot segment, empty segment and escaped byte.
func randPath(rnd *rand.Rand) string {
	const alphabet = "abcxyz0129-_.~%{}"
	var b strings.Builder
	for range rnd.IntN(6) {
		b.WriteByte('/')
		for range rnd.IntN(8) {
			b.WriteByte(alphabet[rnd.IntN(len(alphabet))])
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// discard is a ResponseWriter that keeps nothing, for tests that send many
// requests.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// TestMiddlewareSharedHandler checks that one wrapped handler registered
// under several patterns names each request after its own pattern.
func TestMiddlewareSharedHandler(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	chaostest.Enable(t, e, "*=status(299)")
	h := Middleware(e)(http.NotFoundHandler())
	mux := http.NewServeMux()
	mux.Handle("GET /a", h)
	mux.Handle("/b", h)
	for range 3 {
		for target, want := range map[string]string{"/a": "GET /a", "/b": "GET /b"} {
			if got := pointOf(t, mux, httptest.NewRequest("GET", target, nil)); got != want {
				t.Errorf("%s: point %q, want %q", target, got, want)
			}
		}
		req := httptest.NewRequest("POST", "/b", nil)
		if got := pointOf(t, mux, req); got != "POST /b" {
			t.Errorf("POST /b: point %q", got)
		}
	}
}

func TestMiddlewareDefaults(t *testing.T) {
	t.Parallel()
	h := Middleware(nil)(nil).(*handler)
	if h.next != http.DefaultServeMux || h.mux != http.DefaultServeMux || h.g.e != chaos.Default() {
		t.Error("nil engine and handler are not the defaults")
	}
	mw := Middleware(chaostest.New(t), nil, WithHeaderLabel("", "x"), WithHeaderLabel("X-A", ""), WithPointName(nil), WithServeMux(nil))
	if h := mw(http.NotFoundHandler()).(*handler); len(h.g.cfg.Headers) != 0 || !h.byPattern {
		t.Errorf("empty options changed the config: %+v", h.g.cfg)
	}
}

// armed returns an engine with a rule for a point no request reaches, so
// that the middleware names every request's point (an engine with no rule
// lets it skip the work).
func armed(t *testing.T) *chaos.Engine {
	e := chaostest.New(t)
	if err := e.Apply(chaos.MustParsePlan("unrelated=1%error")); err != nil {
		t.Fatal(err)
	}
	return e
}

// With no rule anywhere, a middleware around a mux neither looks the route
// up nor makes a point.
func TestMiddlewareUnarmedEngineMakesNoPoints(t *testing.T) {
	e := chaostest.New(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(http.ResponseWriter, *http.Request) {})
	h := Middleware(e)(mux)
	for range 10 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/users/1", nil))
	}
	if n := len(e.Stats().Points); n != 0 {
		t.Errorf("%d points with no rule anywhere, want 0", n)
	}
}
