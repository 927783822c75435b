package chaoshttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

// The server benchmarks serve one small response through a reused
// httptest.ResponseRecorder, so that what they measure is the handler and
// the middleware, not the harness. "direct" calls the handler with a
// request whose Pattern is set, as a ServeMux sets it for a middleware
// inside it; "mux" routes through a real ServeMux.

var benchBody = []byte(`{"id":42,"name":"Ada Lovelace"}`)

var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write(benchBody)
})

const benchPattern = "GET /users/{id}"

// benchRequest returns GET /users/42 as a ServeMux hands it to the handler
// it routes to.
func benchRequest() *http.Request {
	r := httptest.NewRequest("GET", "/users/42", nil)
	r.Pattern = benchPattern
	return r
}

// serve runs h in the benchmark loop, serially or in parallel, with one
// recorder and request per goroutine.
func serve(b *testing.B, h http.Handler, req func() *http.Request, parallel bool) {
	b.ReportAllocs()
	if !parallel {
		rec, r := httptest.NewRecorder(), req()
		for b.Loop() {
			rec.Body.Reset()
			h.ServeHTTP(rec, r)
		}
		return
	}
	b.RunParallel(func(pb *testing.PB) {
		rec, r := httptest.NewRecorder(), req()
		for pb.Next() {
			rec.Body.Reset()
			h.ServeHTTP(rec, r)
		}
	})
}

// plainRequest is GET /users/42 as a server reads it, before any routing.
func plainRequest() *http.Request { return httptest.NewRequest("GET", "/users/42", nil) }

func benchMux(h http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle(benchPattern, h)
	mux.Handle("POST /users", h)
	mux.Handle("/static/", h)
	return mux
}

func BenchmarkHandlerBare(b *testing.B) {
	b.Run("direct", func(b *testing.B) { serve(b, benchHandler, benchRequest, false) })
	b.Run("direct-parallel", func(b *testing.B) { serve(b, benchHandler, benchRequest, true) })
	b.Run("mux", func(b *testing.B) { serve(b, benchMux(benchHandler), plainRequest, false) })
	b.Run("mux-parallel", func(b *testing.B) { serve(b, benchMux(benchHandler), plainRequest, true) })
}

func BenchmarkMiddlewareDisabled(b *testing.B) {
	e := chaos.New(chaos.WithSeed(1))
	mw := Middleware(e)
	b.Run("direct", func(b *testing.B) { serve(b, mw(benchHandler), benchRequest, false) })
	b.Run("direct-parallel", func(b *testing.B) { serve(b, mw(benchHandler), benchRequest, true) })
	b.Run("mux-inside", func(b *testing.B) { serve(b, benchMux(mw(benchHandler)), plainRequest, false) })
	b.Run("mux-inside-parallel", func(b *testing.B) { serve(b, benchMux(mw(benchHandler)), plainRequest, true) })
	b.Run("mux-around", func(b *testing.B) { serve(b, mw(benchMux(benchHandler)), plainRequest, false) })
}

// BenchmarkMiddlewareArmed1pct runs with a rule that names the point and
// answers 503 to 1% of requests.
func BenchmarkMiddlewareArmed1pct(b *testing.B) {
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=1%status(503)`)); err != nil {
		b.Fatal(err)
	}
	mw := Middleware(e)
	b.Run("direct", func(b *testing.B) { serve(b, mw(benchHandler), benchRequest, false) })
	b.Run("direct-parallel", func(b *testing.B) { serve(b, mw(benchHandler), benchRequest, true) })
	b.Run("mux-inside", func(b *testing.B) { serve(b, benchMux(mw(benchHandler)), plainRequest, false) })
}

// The transport benchmarks send through a base RoundTripper that returns a
// canned response, so no network is in the loop. "roundtrip" calls
// RoundTrip; "client" goes through an http.Client.

type cannedTransport struct{ resp *http.Response }

func (c cannedTransport) RoundTrip(*http.Request) (*http.Response, error) { return c.resp, nil }

func newCanned() cannedTransport {
	return cannedTransport{resp: &http.Response{
		Status: "200 OK", StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody,
	}}
}

func roundTrip(b *testing.B, rt http.RoundTripper, parallel bool) {
	b.ReportAllocs()
	if !parallel {
		req := httptest.NewRequest("GET", "http://api.example.com/users/42", nil)
		for b.Loop() {
			if _, err := rt.RoundTrip(req); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", "http://api.example.com/users/42", nil)
		for pb.Next() {
			if _, err := rt.RoundTrip(req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func clientDo(b *testing.B, rt http.RoundTripper) {
	b.ReportAllocs()
	client := &http.Client{Transport: rt}
	req, _ := http.NewRequest("GET", "http://api.example.com/users/42", nil)
	for b.Loop() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
	}
}

func BenchmarkTransportBare(b *testing.B) {
	b.Run("roundtrip", func(b *testing.B) { roundTrip(b, newCanned(), false) })
	b.Run("roundtrip-parallel", func(b *testing.B) { roundTrip(b, newCanned(), true) })
	b.Run("client", func(b *testing.B) { clientDo(b, newCanned()) })
}

func BenchmarkTransportDisabled(b *testing.B) {
	e := chaos.New(chaos.WithSeed(1))
	b.Run("roundtrip", func(b *testing.B) { roundTrip(b, Transport(newCanned(), e), false) })
	b.Run("roundtrip-parallel", func(b *testing.B) { roundTrip(b, Transport(newCanned(), e), true) })
	b.Run("client", func(b *testing.B) { clientDo(b, Transport(newCanned(), e)) })
}

// TestDisabledAllocs holds the disabled middleware and transport at no
// allocation beyond the bare handler's and transport's.
func TestDisabledAllocs(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	// An armed point elsewhere must not cost the disabled ones anything.
	if err := e.Apply(chaos.MustParsePlan(`other=error`)); err != nil {
		t.Fatal(err)
	}
	allocs := func(h http.Handler, req *http.Request) float64 {
		rec := httptest.NewRecorder()
		return testing.AllocsPerRun(200, func() {
			rec.Body.Reset()
			h.ServeHTTP(rec, req)
		})
	}
	mw := Middleware(e, WithHeaderLabel("X-Tenant", "tenant"))
	tests := []struct {
		name      string
		bare, got func() float64
	}{
		{
			name: "middleware",
			bare: func() float64 { return allocs(benchHandler, benchRequest()) },
			got:  func() float64 { return allocs(mw(benchHandler), benchRequest()) },
		},
		{
			name: "middleware inside a mux",
			bare: func() float64 { return allocs(benchMux(benchHandler), plainRequest()) },
			got:  func() float64 { return allocs(benchMux(mw(benchHandler)), plainRequest()) },
		},
		{
			name: "middleware without a pattern",
			bare: func() float64 { return allocs(benchHandler, plainRequest()) },
			got:  func() float64 { return allocs(mw(benchHandler), plainRequest()) },
		},
		{
			name: "transport",
			bare: func() float64 {
				req := httptest.NewRequest("GET", "http://api.example.com/", nil)
				rt := newCanned()
				return testing.AllocsPerRun(200, func() { _, _ = rt.RoundTrip(req) })
			},
			got: func() float64 {
				req := httptest.NewRequest("GET", "http://api.example.com/", nil)
				rt := Transport(newCanned(), e)
				return testing.AllocsPerRun(200, func() { _, _ = rt.RoundTrip(req) })
			},
		},
		{
			// http.NewRequest parses a new host string for every request:
			// the point is found by comparing contents, not pointers.
			name: "transport, new host string per request",
			bare: func() float64 { return cloneHostAllocs(newCanned()) },
			got:  func() float64 { return cloneHostAllocs(Transport(newCanned(), e)) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bare, got := tt.bare(), tt.got(); got != bare {
				t.Errorf("%v allocations per request, want %v as bare", got, bare)
			}
		})
	}
}

func cloneHostAllocs(rt http.RoundTripper) float64 {
	req := httptest.NewRequest("GET", "http://api.example.com/", nil)
	return testing.AllocsPerRun(200, func() {
		req.URL.Host = strings.Clone("api.example.com")
		_, _ = rt.RoundTrip(req)
	})
}

// TestArmedAllocs holds a request at an armed point that does not fire,
// labels from headers included, at no allocation beyond the bare
// handler's: labels are gathered on the stack.
func TestArmedAllocs(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=error[label.tenant=nobody]`)); err != nil {
		t.Fatal(err)
	}
	req := benchRequest()
	req.Header.Set("X-Tenant", "acme")
	rec := httptest.NewRecorder()
	bare := testing.AllocsPerRun(200, func() { rec.Body.Reset(); benchHandler.ServeHTTP(rec, req) })
	h := Middleware(e, WithHeaderLabel("X-Tenant", "tenant"), WithHeaderLabel("X-Request-Id", "request"))(benchHandler)
	got := testing.AllocsPerRun(200, func() { rec.Body.Reset(); h.ServeHTTP(rec, req) })
	if got != bare {
		t.Errorf("%v allocations per armed request, want %v as bare", got, bare)
	}
	if s := e.Stats(); s.Rules[0].Evaluations == 0 {
		t.Error("the rule was never evaluated")
	}
}
