package chaosmux_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/chaosmux"
	"github.com/faultline-go/faultline/middleware/internal/routertest"
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
	cases := []routertest.Route{
		{Method: "GET", Path: "/orders/42", Point: "GET /orders/{id}", Body: "order"},
		{Method: "POST", Path: "/orders", Point: "POST /orders", Body: "create"},
		{Method: "PUT", Path: "/api/users/7", Point: "PUT /api/users/{id:[0-9]+}", Body: "user"},
		{Method: "DELETE", Path: "/health", Point: "DELETE /health", Body: "health"},
	}
	for _, pl := range placements {
		t.Run(pl.name, func(t *testing.T) {
			t.Parallel()
			routertest.RouteFires(t, pl.build, cases)
			routertest.DirectiveFires(t, pl.build, cases)
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
			routertest.UnmatchedBounded(t, e, build(e), `"GET /orders/{id}"=status(503)`)
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
	routertest.StillServes(t, srv, "the panic")

	e2 := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosmux.Middleware(e2, chaoshttp.WithRecoverPanics()))
	routertest.Apply(t, e2, `"GET /orders/{id}"=panic(boom)`)
	if rec := routertest.Do(r, "GET", "/orders/1"); rec.Code != 500 || !strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("recovered panic fault: %d %q, want 500", rec.Code, rec.Body.String())
	}
}

// TestFaults proves that status and error faults answer their codes and
// bodies with the injected header, and that the kill switch and the exempt
// admin prefix hold.
func TestFaults(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosmux.Middleware(e))
	routertest.Apply(t, e, `"GET /orders/{id}"=status(503,"later");"POST /orders"=error(nope,502);*=status(500)`)
	routertest.StatusAndError(t, r, "GET /orders/{id}")
	routertest.KillSwitchAndExempt(t, e, r, "/debug/faultline/kill")
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
	measure := func(h http.Handler) float64 { return routertest.Allocs(h, "PUT", "/api/users/7") }
	bare, withNoop := measure(newRouter(nil)), measure(newRouter(noop))
	if w := measure(newRouter(chaosmux.Middleware(e))); w > withNoop {
		t.Errorf("disabled middleware under Use: %v allocs per request, gorilla/mux with a no-op middleware %v", w, withNoop)
	}
	if w := measure(chaosmux.Middleware(e)(newRouter(nil))); w > bare {
		t.Errorf("disabled middleware around the router: %v allocs per request, bare gorilla/mux %v", w, bare)
	}
}
