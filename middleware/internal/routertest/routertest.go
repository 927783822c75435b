// Package routertest holds the checks the tests of the router adapters
// (chaoschi, chaosmux, chaosecho, chaosgin) share: serving requests
// through a handler or a real server, counting allocations, and
// table-driven checks of what every adapter must do whatever the router,
// such as firing a plan on a route's point and on no other, bounding the
// points of unmatched paths, honouring the kill switch, exempt prefixes,
// header labels and latency faults.
//
// Each check takes an http.Handler, or a function that builds one around
// an engine, that the adapter's test sets up in its own framework, with the
// routes the checks name: GET /orders/{id} answering "order", POST /orders
// answering "create", GET /health answering "health", and the admin prefix
// /debug/faultline/ answering 200. Point names differ between routers
// ("GET /orders/{id}", "GET /orders/:id"), so checks that name a point take
// it as an argument.
//
// It is internal to middleware/ and meant for tests only.
package routertest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// Route is one request of a route table: its method and URL path, the
// point a plan names to fire on it, and the body its handler answers with.
type Route struct {
	Method, Path, Point, Body string
}

// Engine returns an engine seeded with 1 and with plan applied, or no plan
// if plan is empty; it fails tb if the plan does not apply.
func Engine(tb testing.TB, plan string) *chaos.Engine {
	tb.Helper()
	e := chaos.New(chaos.WithSeed(1))
	if plan != "" {
		Apply(tb, e, plan)
	}
	return e
}

// Apply applies the plan text plan to e, and fails tb if it does not
// apply.
func Apply(tb testing.TB, e *chaos.Engine, plan string) {
	tb.Helper()
	if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
		tb.Fatal(err)
	}
}

// Do serves a request of method and target with h and returns the
// recorder.
func Do(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

// Get sends a request of method and path to srv and returns the status and
// the body.
func Get(t testing.TB, srv *httptest.Server, method, path string) (int, string) {
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

// HasPoint reports whether e has a point called name.
func HasPoint(e *chaos.Engine, name string) bool {
	for _, ps := range e.Stats().Points {
		if ps.Point == name {
			return true
		}
	}
	return false
}

// Invert returns s with every byte inverted, as a corrupt fault writes it.
func Invert(s string) []byte {
	b := []byte(s)
	for i := range b {
		b[i] ^= 0xFF
	}
	return b
}

// Allocs returns the allocations h makes, on average, to serve a request
// of method and target through a reused recorder.
func Allocs(h http.Handler, method, target string) float64 {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, target, nil)
	return testing.AllocsPerRun(200, func() {
		rec.Body.Reset()
		h.ServeHTTP(rec, req)
	})
}

// Serve benchmarks h serving a request of method and target through a
// reused recorder, reporting allocations.
func Serve(b *testing.B, h http.Handler, method, target string) {
	b.ReportAllocs()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, target, nil)
	for b.Loop() {
		rec.Body.Reset()
		h.ServeHTTP(rec, req)
	}
}

// RouteFires checks, in a parallel subtest per route named after its
// point, that a plan on the route's point fires for a request of that
// route and for no other route of routes, through a real server around the
// handler build returns for a fresh engine.
func RouteFires(t *testing.T, build func(e *chaos.Engine) http.Handler, routes []Route) {
	t.Helper()
	for _, c := range routes {
		t.Run(c.Point, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			srv := httptest.NewServer(build(e))
			defer srv.Close()
			chaostest.Enable(t, e, fmt.Sprintf("%q=status(418)", c.Point))
			if code, body := Get(t, srv, c.Method, c.Path); code != 418 {
				t.Errorf("%s %s: %d %q, want 418 from the point %q", c.Method, c.Path, code, body, c.Point)
			}
			// Every other route is untouched.
			for _, o := range routes {
				if o == c {
					continue
				}
				if code, body := Get(t, srv, o.Method, o.Path); code != 200 || body != o.Body {
					t.Errorf("%s %s with a plan on %q: %d %q, want 200 %q", o.Method, o.Path, c.Point, code, body, o.Body)
				}
			}
		})
	}
}

// UnmatchedBounded checks that 1,000 random paths that match no route of
// h, with random methods, make at most one point of e per method word, and
// none named after a path. It applies armPlan to e first, so that the
// middleware looks for routes at all.
func UnmatchedBounded(t *testing.T, e *chaos.Engine, h http.Handler, armPlan string) {
	t.Helper()
	Apply(t, e, armPlan)
	before := len(e.Stats().Points)
	rng := rand.New(rand.NewPCG(1, 2))
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW", "PROPFIND"}
	for i := range 1000 {
		Do(h, methods[rng.IntN(len(methods))], fmt.Sprintf("/nope/%d/%x", i, rng.Uint64()))
	}
	if made := len(e.Stats().Points) - before; made > 10 {
		t.Errorf("1,000 unmatched paths made %d points, want at most 10", made)
	}
	for _, ps := range e.Stats().Points {
		if strings.Contains(ps.Point, "/nope/") {
			t.Errorf("point named after a path: %q", ps.Point)
		}
	}
}

// UnmatchedTargeted checks that a plan on "GET (unmatched)" fires for a
// request of h that matches no route.
func UnmatchedTargeted(t *testing.T, e *chaos.Engine, h http.Handler) {
	t.Helper()
	Apply(t, e, `"GET (unmatched)"=status(410)`)
	if rec := Do(h, "GET", "/no/such/page"); rec.Code != 410 {
		t.Errorf(`"GET (unmatched)" plan: %d, want 410`, rec.Code)
	}
}

// MaxPoints checks, for h made with a middleware of e bounded at one route
// path, that GET /orders/1 has its own point and GET /health, beyond the
// bound, counts at the fallback point.
func MaxPoints(t *testing.T, e *chaos.Engine, h http.Handler) {
	t.Helper()
	Apply(t, e, `"GET (unmatched)"=status(410)`)
	if rec := Do(h, "GET", "/orders/1"); rec.Code != 200 {
		t.Errorf("first route: %d, want 200 at its own point", rec.Code)
	}
	if rec := Do(h, "GET", "/health"); rec.Code != 410 {
		t.Errorf("route beyond the bound: %d, want 410 at the fallback point", rec.Code)
	}
}

// StatusAndError checks, for h whose engine has the plan
// `"<ordersPoint>"=status(503,"later");"POST /orders"=error(nope,502)`
// applied, that the status fault answers 503 "later" with the injected
// header naming ordersPoint, and the error fault 502 with its message.
func StatusAndError(t *testing.T, h http.Handler, ordersPoint string) {
	t.Helper()
	rec := Do(h, "GET", "/orders/1")
	if rec.Code != 503 || rec.Body.String() != "later" {
		t.Errorf("status fault: %d %q, want 503 \"later\"", rec.Code, rec.Body.String())
	}
	if got, want := rec.Header().Get(chaoshttp.HeaderInjected), `status; point="`+ordersPoint+`"`; got != want {
		t.Errorf("%s = %q, want %q", chaoshttp.HeaderInjected, got, want)
	}
	if rec := Do(h, "POST", "/orders"); rec.Code != 502 || !strings.Contains(rec.Body.String(), "nope") {
		t.Errorf("error fault: %d %q, want 502 with the message", rec.Code, rec.Body.String())
	}
}

// KillSwitchAndExempt checks, for h whose engine e has a plan applied that
// answers 503 for GET /orders/1 and fires on every other point, that the
// paths exempt answer 200, that GET /orders/1 answers 503 until the kill
// switch, and 200 "order" after it.
func KillSwitchAndExempt(t *testing.T, e *chaos.Engine, h http.Handler, exempt ...string) {
	t.Helper()
	for _, p := range exempt {
		if rec := Do(h, "GET", p); rec.Code != 200 {
			t.Errorf("exempt %s: %d, want 200", p, rec.Code)
		}
	}
	if rec := Do(h, "GET", "/orders/1"); rec.Code != 503 {
		t.Errorf("before the kill switch: %d, want 503", rec.Code)
	}
	e.Disable("test")
	if rec := Do(h, "GET", "/orders/1"); rec.Code != 200 || rec.Body.String() != "order" {
		t.Errorf("after the kill switch: %d %q, want 200 \"order\"", rec.Code, rec.Body.String())
	}
}

// HeaderLabel checks, for h made with a middleware of e that copies the
// header X-Tenant into the label tenant, that a rule on ordersPoint
// matching label.tenant=acme fires for that tenant only.
func HeaderLabel(t *testing.T, e *chaos.Engine, h http.Handler, ordersPoint string) {
	t.Helper()
	Apply(t, e, fmt.Sprintf("%q=status(503)[label.tenant=acme]", ordersPoint))
	for tenant, want := range map[string]int{"acme": 503, "other": 200} {
		req := httptest.NewRequest("GET", "/orders/1", nil)
		req.Header.Set("X-Tenant", tenant)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("tenant %s: %d, want %d", tenant, rec.Code, want)
		}
	}
}

// Latency checks, in fake time, that a latency fault on ordersPoint delays
// the handler build returns by its duration, and that a hang on POST
// /orders that reaches its bound answers 503.
func Latency(t *testing.T, build func(e *chaos.Engine) http.Handler, ordersPoint string) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		h := build(e)
		Apply(t, e, fmt.Sprintf(`%q=delay(2s);"POST /orders"=hang(5s)`, ordersPoint))
		start := time.Now()
		rec := Do(h, "GET", "/orders/1")
		if d := time.Since(start); d != 2*time.Second || rec.Code != 200 || rec.Body.String() != "order" {
			t.Errorf("latency: %d %q after %v, want 200 \"order\" after 2s", rec.Code, rec.Body.String(), d)
		}
		start = time.Now()
		rec = Do(h, "POST", "/orders")
		if d := time.Since(start); d != 5*time.Second || rec.Code != 503 {
			t.Errorf("hang: %d after %v, want 503 after 5s", rec.Code, d)
		}
	})
}

// AbortCuts checks that POST /orders to srv, on which a plan applies an
// abort fault, gets no response but a cut connection.
func AbortCuts(t *testing.T, srv *httptest.Server) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+"/orders", "text/plain", nil)
	if err == nil {
		resp.Body.Close()
		t.Errorf("abort fault: got %s, want a cut connection", resp.Status)
	}
}

// StillServes checks that srv, after the faults a test injected, still
// answers GET /health with 200 "health"; after names those faults in the
// failure message ("the faults", "the panic").
func StillServes(t *testing.T, srv *httptest.Server, after string) {
	t.Helper()
	if code, body := Get(t, srv, "GET", "/health"); code != 200 || body != "health" {
		t.Errorf("after %s: %d %q", after, code, body)
	}
}

// DirectiveKey is the key the engines of DirectiveFires verify directives
// with.
var DirectiveKey = chaos.DirectiveKey{ID: "test", Secret: []byte("routertest-directive-secret-0123456789")}

// DirectiveFires checks that a signed directive in a request's baggage
// fires on the route's point while no plan is applied, for that request
// only: the same request without it, and the other routes with it, are
// untouched; a directive signed with another key fires nothing and is
// counted as refused.
func DirectiveFires(t *testing.T, build func(e *chaos.Engine) http.Handler, routes []Route) {
	t.Helper()
	for _, c := range routes {
		t.Run(c.Point, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t, chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true}}), chaos.WithDirectiveKeys(DirectiveKey))
			srv := httptest.NewServer(build(e))
			defer srv.Close()
			plan := chaos.MustParsePlan(fmt.Sprintf("%q=status(418)", c.Point))
			tok, err := chaos.MintDirective(plan, DirectiveKey, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			get := func(method, path, baggage string) (int, string) {
				req, err := http.NewRequest(method, srv.URL+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				if baggage != "" {
					req.Header.Set("Baggage", baggage)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			withOthers := "userId=alice, " + chaos.DirectiveBaggageKey + "=" + tok + ";prop=1, other=x"
			if code, body := get(c.Method, c.Path, withOthers); code != 418 {
				t.Errorf("%s %s with the directive: %d %q, want 418 from the point %q", c.Method, c.Path, code, body, c.Point)
			}
			if code, body := get(c.Method, c.Path, "userId=alice"); code != 200 || body != c.Body {
				t.Errorf("%s %s without it: %d %q, want 200 %q", c.Method, c.Path, code, body, c.Body)
			}
			for _, o := range routes {
				if o != c {
					if code, body := get(o.Method, o.Path, withOthers); code != 200 || body != o.Body {
						t.Errorf("%s %s with a directive on %q: %d %q, want 200 %q", o.Method, o.Path, c.Point, code, body, o.Body)
					}
				}
			}
			forged, err := chaos.MintDirective(plan, chaos.DirectiveKey{ID: DirectiveKey.ID, Secret: []byte(strings.Repeat("f", 32))}, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if code, _ := get(c.Method, c.Path, chaos.DirectiveBaggageKey+"="+forged); code != 200 {
				t.Errorf("%s %s with a forged directive: %d, want 200", c.Method, c.Path, code)
			}
			if got := e.Stats().Directives; got.Accepted != 1+uint64(len(routes)-1) || got.Refused[chaos.RefusedSignature] != 1 {
				t.Errorf("Stats.Directives = %+v, want %d accepted and 1 bad signature", got, len(routes))
			}
		})
	}
}
