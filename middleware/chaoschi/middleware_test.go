package chaoschi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/middleware/chaoschi"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/internal/routertest"
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
	cases := []routertest.Route{
		{Method: "GET", Path: "/orders/42", Point: "GET /orders/{id}", Body: "order"},
		{Method: "POST", Path: "/orders", Point: "POST /orders", Body: "create"},
		{Method: "PUT", Path: "/api/users/7", Point: "PUT /api/users/{id}", Body: "user"},
		{Method: "GET", Path: "/shop/items/abc", Point: "GET /shop/items/{sku}", Body: "item"},
		{Method: "GET", Path: "/legacy/x/y", Point: "GET /legacy/*", Body: "legacy"},
		{Method: "GET", Path: "/health", Point: "GET /health", Body: "health"},
	}
	for _, pl := range placements {
		t.Run(pl.name, func(t *testing.T) {
			t.Parallel()
			routertest.RouteFires(t, pl.build, cases)
			routertest.DirectiveFires(t, pl.build, cases)
		})
	}
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

	routertest.Apply(t, e, `"GET /api/users/{id}"=status(501);"GET /shop/items/{sku}"=status(502);"DELETE /carts/{id}"=status(503)`)
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/users/1", 501},
		{"GET", "/shop/items/x", 502},
		{"DELETE", "/carts/9", 503},
	} {
		if rec := routertest.Do(r, c.method, c.path); rec.Code != c.want {
			t.Errorf("%s %s: %d %q, want %d", c.method, c.path, rec.Code, rec.Body.String(), c.want)
		}
	}
	for _, bad := range []string{"GET /users/{id}", "GET /items/{sku}", "GET (unmatched)"} {
		if routertest.HasPoint(e, bad) {
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
	routertest.UnmatchedBounded(t, e, r, `"GET /orders/{id}"=status(503)`)
	if !routertest.HasPoint(e, "GET (unmatched)") {
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
	if code, _ := routertest.Get(t, srv, "GET", "/orders/1"); code != http.StatusInternalServerError {
		t.Errorf("panic fault under Recoverer: %d, want 500", code)
	}
	routertest.AbortCuts(t, srv)
	// The server still serves.
	routertest.StillServes(t, srv, "the faults")
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

	routertest.Apply(t, e, `"GET /orders/{id}"=status(503,"later");"POST /orders"=error(nope,502);*=status(500)`)
	routertest.StatusAndError(t, r, "GET /orders/{id}")
	// Exempt: the admin prefix always, and the prefix given by option.
	routertest.KillSwitchAndExempt(t, e, r, "/debug/faultline/kill", "/health")
}

// TestHeaderLabel proves that chaoshttp's options reach the middleware: a
// rule matching a header label fires for that tenant only.
func TestHeaderLabel(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := chi.NewRouter()
	r.Use(chaoschi.Middleware(e, chaoshttp.WithHeaderLabel("X-Tenant", "tenant")))
	routes(r)
	routertest.HeaderLabel(t, e, r, "GET /orders/{id}")
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
	if b, w := routertest.Allocs(bare, "GET", "/shop/items/abc"), routertest.Allocs(wrapped, "GET", "/shop/items/abc"); w > b {
		t.Errorf("disabled middleware: %v allocs per request, bare chi %v", w, b)
	}
}
