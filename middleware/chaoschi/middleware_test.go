package chaoschi_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/middleware/chaoschi"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// reply answers with its own name, so a test sees which handler ran.
func reply(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, name) }
}

// routes registers the routes the tests use on r: a plain route, one under
// r.Route, one of a mounted router, a plain handler mounted, and one in a
// group.
func routes(r chi.Router) {
	r.Get("/orders/{id}", reply("order"))
	r.Post("/orders", reply("create"))
	r.Route("/api", func(r chi.Router) {
		r.Put("/users/{id}", reply("user"))
	})
	shop := chi.NewRouter()
	shop.Get("/items/{sku}", reply("item"))
	r.Mount("/shop", shop)
	r.Mount("/legacy", reply("legacy"))
	r.Group(func(r chi.Router) {
		r.Get("/health", reply("health"))
	})
	r.Get("/debug/faultline/*", reply("admin"))
}

// do serves method target with h and returns the status and the body.
func do(t *testing.T, h http.Handler, method, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Code, rec.Body.String()
}

// hasPoint reports whether e has a point called name.
func hasPoint(e *chaos.Engine, name string) bool {
	for _, ps := range e.Stats().Points {
		if ps.Point == name {
			return true
		}
	}
	return false
}

// TestPatternFires proves that, wherever the middleware sits in a chi
// router, a plan on the full route pattern fires for a request of that
// route and for no other, through a real server.
func TestPatternFires(t *testing.T) {
	t.Parallel()
	placements := []struct {
		name  string
		build func(e *chaos.Engine) http.Handler
	}{
		{"root Use", func(e *chaos.Engine) http.Handler {
			r := chi.NewRouter()
			r.Use(chaoschi.Middleware(e))
			routes(r)
			return r
		}},
		{"around router", func(e *chaos.Engine) http.Handler {
			r := chi.NewRouter()
			routes(r)
			return chaoschi.Middleware(e)(r)
		}},
		{"root Use after StripSlashes", func(e *chaos.Engine) http.Handler {
			r := chi.NewRouter()
			r.Use(middleware.StripSlashes)
			r.Use(chaoschi.Middleware(e))
			routes(r)
			return r
		}},
	}
	cases := []struct {
		method, path, point, body string
	}{
		{"GET", "/orders/42", "GET /orders/{id}", "order"},
		{"POST", "/orders", "POST /orders", "create"},
		{"PUT", "/api/users/7", "PUT /api/users/{id}", "user"},
		{"GET", "/shop/items/abc", "GET /shop/items/{sku}", "item"},
		{"GET", "/legacy/x/y", "GET /legacy/*", "legacy"},
		{"GET", "/health", "GET /health", "health"},
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
					// Every other route is untouched.
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

// TestSubrouterUse proves that the middleware given to the Use of a
// sub-router (r.Route, a mounted router) or to r.With names points after
// the full pattern, not the sub-router's part of it.
func TestSubrouterUse(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	mw := chaoschi.Middleware(e)
	r := chi.NewRouter()
	r.Route("/api", func(r chi.Router) {
		r.Use(mw)
		r.Get("/users/{id}", reply("user"))
	})
	shop := chi.NewRouter()
	shop.Use(mw)
	shop.Get("/items/{sku}", reply("item"))
	r.Mount("/shop", shop)
	r.With(mw).Delete("/carts/{id}", reply("cart"))

	if err := e.Apply(chaos.MustParsePlan(`"GET /api/users/{id}"=status(501);"GET /shop/items/{sku}"=status(502);"DELETE /carts/{id}"=status(503)`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/users/1", 501},
		{"GET", "/shop/items/x", 502},
		{"DELETE", "/carts/9", 503},
	} {
		if code, body := do(t, r, c.method, c.path); code != c.want {
			t.Errorf("%s %s: %d %q, want %d", c.method, c.path, code, body, c.want)
		}
	}
	for _, bad := range []string{"GET /users/{id}", "GET /items/{sku}", "GET (unmatched)"} {
		if hasPoint(e, bad) {
			t.Errorf("point %q made; want only full patterns", bad)
		}
	}
}

// TestUnmatchedBounded proves that 1,000 random paths that match no route,
// with random methods, make at most one point per method word.
func TestUnmatchedBounded(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := chi.NewRouter()
	r.Use(chaoschi.Middleware(e))
	routes(r)
	// Arm the engine, so that the middleware looks for routes at all.
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/{id}"=status(503)`)); err != nil {
		t.Fatal(err)
	}
	before := len(e.Stats().Points)
	rng := rand.New(rand.NewPCG(1, 2))
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW", "PROPFIND"}
	for i := range 1000 {
		path := fmt.Sprintf("/nope/%d/%x", i, rng.Uint64())
		do(t, r, methods[rng.IntN(len(methods))], path)
	}
	made := len(e.Stats().Points) - before
	if made > 10 {
		t.Errorf("1,000 unmatched paths made %d points, want at most 10", made)
	}
	for _, ps := range e.Stats().Points {
		if strings.Contains(ps.Point, "/nope/") {
			t.Errorf("point named after a path: %q", ps.Point)
		}
	}
	if !hasPoint(e, "GET (unmatched)") {
		t.Error(`no point "GET (unmatched)"`)
	}
}

// TestRecovererPanic proves that chi's Recoverer turns an injected panic
// into its usual 500, and that an injected abort still cuts the
// connection, as Recoverer lets http.ErrAbortHandler through.
func TestRecovererPanic(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(chaoschi.Middleware(e))
	routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()

	chaostest.Enable(t, e, `"GET /orders/{id}"=panic(boom);"POST /orders"=abort`)
	if code, _ := get(t, srv, "GET", "/orders/1"); code != http.StatusInternalServerError {
		t.Errorf("panic fault under Recoverer: %d, want 500", code)
	}
	resp, err := srv.Client().Post(srv.URL+"/orders", "text/plain", nil)
	if err == nil {
		resp.Body.Close()
		t.Errorf("abort fault: got %s, want a cut connection", resp.Status)
	}
	// The server still serves.
	if code, body := get(t, srv, "GET", "/health"); code != 200 || body != "health" {
		t.Errorf("after the faults: %d %q", code, body)
	}
}

// TestFaults proves that status and error faults answer their codes and
// bodies with the injected header, and that the kill switch and the exempt
// admin prefix hold under chi's Use.
func TestFaults(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := chi.NewRouter()
	r.Use(chaoschi.Middleware(e, chaoshttp.WithExempt("/health")))
	routes(r)

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
	// Exempt: the admin prefix always, and the prefix given by option.
	for _, p := range []string{"/debug/faultline/kill", "/health"} {
		if code, _ := do(t, r, "GET", p); code != 200 {
			t.Errorf("exempt %s: %d, want 200", p, code)
		}
	}
	e.Disable("test")
	if code, body := do(t, r, "GET", "/orders/1"); code != 200 || body != "order" {
		t.Errorf("after the kill switch: %d %q, want 200 \"order\"", code, body)
	}
}

// TestHeaderLabel proves that chaoshttp's options reach the middleware: a
// rule matching a header label fires for that tenant only.
func TestHeaderLabel(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := chi.NewRouter()
	r.Use(chaoschi.Middleware(e, chaoshttp.WithHeaderLabel("X-Tenant", "tenant")))
	routes(r)
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/{id}"=status(503)[label.tenant=acme]`)); err != nil {
		t.Fatal(err)
	}
	for tenant, want := range map[string]int{"acme": 503, "other": 200} {
		req := httptest.NewRequest("GET", "/orders/1", nil)
		req.Header.Set("X-Tenant", tenant)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("tenant %s: %d, want %d", tenant, rec.Code, want)
		}
	}
}

// TestDisabledAllocs proves that, with no plan applied, the middleware adds
// no allocation to a request served by chi.
func TestDisabledAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not exact under the race detector (sync.Pool drops items at random)")
	}
	e := chaos.New(chaos.WithSeed(1))
	bare := chi.NewRouter()
	routes(bare)
	wrapped := chi.NewRouter()
	wrapped.Use(chaoschi.Middleware(e))
	routes(wrapped)
	measure := func(h http.Handler) float64 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/shop/items/abc", nil)
		return testing.AllocsPerRun(200, func() {
			rec.Body.Reset()
			h.ServeHTTP(rec, req)
		})
	}
	if b, w := measure(bare), measure(wrapped); w > b {
		t.Errorf("disabled middleware: %v allocs per request, bare chi %v", w, b)
	}
}
