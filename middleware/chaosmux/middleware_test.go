package chaosmux_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/chaosmux"
)

// reply answers with its own name, so a test sees which handler ran.
func reply(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, name) }
}

// newRouter returns a router with the routes the tests use: plain routes,
// one with a regexp variable on a sub-router, a route without methods and
// the admin prefix; mw, if not nil, is given to its Use.
func newRouter(mw mux.MiddlewareFunc) *mux.Router {
	r := mux.NewRouter()
	r.HandleFunc("/orders/{id}", reply("order")).Methods("GET")
	r.HandleFunc("/orders", reply("create")).Methods("POST")
	api := r.PathPrefix("/api").Subrouter()
	api.HandleFunc("/users/{id:[0-9]+}", reply("user")).Methods("PUT")
	r.HandleFunc("/health", reply("health"))
	r.PathPrefix("/debug/faultline/").Handler(reply("admin"))
	if mw != nil {
		r.Use(mw)
	}
	return r
}

// do serves method target with h and returns the status and the body.
func do(t *testing.T, h http.Handler, method, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Code, rec.Body.String()
}

// get sends method path to srv and returns the status and the body.
func get(t *testing.T, srv *httptest.Server, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestTemplateFires proves that, under Use and around the router, a plan
// on the route's full template fires for a request of that route and for
// no other, through a real server.
func TestTemplateFires(t *testing.T) {
	t.Parallel()
	placements := []struct {
		name  string
		build func(e *chaos.Engine) http.Handler
	}{
		{"Use", func(e *chaos.Engine) http.Handler { return newRouter(chaosmux.Middleware(e)) }},
		{"around router", func(e *chaos.Engine) http.Handler { return chaosmux.Middleware(e)(newRouter(nil)) }},
	}
	cases := []struct {
		method, path, point, body string
	}{
		{"GET", "/orders/42", "GET /orders/{id}", "order"},
		{"POST", "/orders", "POST /orders", "create"},
		{"PUT", "/api/users/7", "PUT /api/users/{id:[0-9]+}", "user"},
		{"DELETE", "/health", "DELETE /health", "health"},
	}
	for _, pl := range placements {
		t.Run(pl.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				t.Run(c.point, func(t *testing.T) {
					e := chaostest.New(t)
					srv := httptest.NewServer(pl.build(e))
					defer srv.Close()
					chaostest.Enable(t, e, fmt.Sprintf("%q=status(418)", c.point))
					if code, body := get(t, srv, c.method, c.path); code != 418 {
						t.Errorf("%s %s: %d %q, want 418 from the point %q", c.method, c.path, code, body, c.point)
					}
					for _, o := range cases {
						if o == c {
							continue
						}
						if code, body := get(t, srv, o.method, o.path); code != 200 || body != o.body {
							t.Errorf("%s %s with a plan on %q: %d %q, want 200 %q", o.method, o.path, c.point, code, body, o.body)
						}
					}
				})
			}
		})
	}
}

// TestUnmatchedBounded proves that 1,000 random paths that match no route,
// with random methods, make at most one point per method word, under Use
// (where gorilla/mux runs no middleware for them) and around the router.
func TestUnmatchedBounded(t *testing.T) {
	t.Parallel()
	for name, build := range map[string]func(*chaos.Engine) http.Handler{
		"Use":           func(e *chaos.Engine) http.Handler { return newRouter(chaosmux.Middleware(e)) },
		"around router": func(e *chaos.Engine) http.Handler { return chaosmux.Middleware(e)(newRouter(nil)) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := chaos.New(chaos.WithSeed(1))
			h := build(e)
			if err := e.Apply(chaos.MustParsePlan(`"GET /orders/{id}"=status(503)`)); err != nil {
				t.Fatal(err)
			}
			before := len(e.Stats().Points)
			rng := rand.New(rand.NewPCG(1, 2))
			methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW", "PROPFIND"}
			for i := range 1000 {
				do(t, h, methods[rng.IntN(len(methods))], fmt.Sprintf("/nope/%d/%x", i, rng.Uint64()))
			}
			if made := len(e.Stats().Points) - before; made > 10 {
				t.Errorf("1,000 unmatched paths made %d points, want at most 10", made)
			}
			for _, ps := range e.Stats().Points {
				if strings.Contains(ps.Point, "/nope/") {
					t.Errorf("point named after a path: %q", ps.Point)
				}
			}
		})
	}
}

// TestPanic proves what an injected panic does under gorilla/mux, which
// has no recoverer of its own: net/http recovers it and cuts the
// connection, the server keeps serving, and with
// chaoshttp.WithRecoverPanics the middleware answers net/http's usual 500
// instead.
func TestPanic(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	srv := httptest.NewUnstartedServer(newRouter(chaosmux.Middleware(e)))
	srv.Config.ErrorLog = discardLog()
	srv.Start()
	defer srv.Close()
	chaostest.Enable(t, e, `"GET /orders/{id}"=panic(boom)`)
	resp, err := srv.Client().Get(srv.URL + "/orders/1")
	if err == nil {
		resp.Body.Close()
		t.Errorf("panic fault: got %s, want a cut connection", resp.Status)
	}
	if code, body := get(t, srv, "GET", "/health"); code != 200 || body != "health" {
		t.Errorf("after the panic: %d %q", code, body)
	}

	e2 := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosmux.Middleware(e2, chaoshttp.WithRecoverPanics()))
	if err := e2.Apply(chaos.MustParsePlan(`"GET /orders/{id}"=panic(boom)`)); err != nil {
		t.Fatal(err)
	}
	if code, body := do(t, r, "GET", "/orders/1"); code != 500 || !strings.Contains(body, "boom") {
		t.Errorf("recovered panic fault: %d %q, want 500", code, body)
	}
}

// TestFaults proves that status and error faults answer their codes and
// bodies with the injected header, and that the kill switch and the exempt
// admin prefix hold.
func TestFaults(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosmux.Middleware(e))
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/{id}"=status(503,"later");"POST /orders"=error(nope,502);*=status(500)`)); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/orders/1", nil))
	if rec.Code != 503 || rec.Body.String() != "later" {
		t.Errorf("status fault: %d %q, want 503 \"later\"", rec.Code, rec.Body.String())
	}
	if got, want := rec.Header().Get(chaoshttp.HeaderInjected), `status; point="GET /orders/{id}"`; got != want {
		t.Errorf("%s = %q, want %q", chaoshttp.HeaderInjected, got, want)
	}
	if code, body := do(t, r, "POST", "/orders"); code != 502 || !strings.Contains(body, "nope") {
		t.Errorf("error fault: %d %q, want 502 with the message", code, body)
	}
	if code, _ := do(t, r, "GET", "/debug/faultline/kill"); code != 200 {
		t.Errorf("admin prefix: %d, want 200", code)
	}
	e.Disable("test")
	if code, body := do(t, r, "GET", "/orders/1"); code != 200 || body != "order" {
		t.Errorf("after the kill switch: %d %q, want 200 \"order\"", code, body)
	}
}

// noop is a middleware that does nothing, in the usual closure form: what
// gorilla/mux itself costs per middleware given to Use.
func noop(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
}

// TestDisabledAllocs proves that, with no plan applied, the middleware
// allocates no more under Use than a middleware that does nothing (gorilla/mux
// wraps the matched handler anew for each request), and nothing at all
// around a router.
func TestDisabledAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not exact under the race detector (sync.Pool drops items at random)")
	}
	e := chaos.New(chaos.WithSeed(1))
	measure := func(h http.Handler) float64 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("PUT", "/api/users/7", nil)
		return testing.AllocsPerRun(200, func() {
			rec.Body.Reset()
			h.ServeHTTP(rec, req)
		})
	}
	bare, withNoop := measure(newRouter(nil)), measure(newRouter(noop))
	if w := measure(newRouter(chaosmux.Middleware(e))); w > withNoop {
		t.Errorf("disabled middleware under Use: %v allocs per request, gorilla/mux with a no-op middleware %v", w, withNoop)
	}
	if w := measure(chaosmux.Middleware(e)(newRouter(nil))); w > bare {
		t.Errorf("disabled middleware around the router: %v allocs per request, bare gorilla/mux %v", w, bare)
	}
}
