package chaoschi_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaoschi"
	"github.com/faultline-go/faultline/middleware/internal/routertest"
)

// BenchmarkMiddleware serves GET /shop/items/abc, a route of a mounted
// router, through a reused recorder: "bare" is chi alone, "disabled" adds
// the middleware under r.Use with no plan applied, "armed-elsewhere" with a
// plan that names another point (the route is looked up, nothing fires),
// and "armed-1pct" with a rule on the route that fires for 1% of requests.
func BenchmarkMiddleware(b *testing.B) {
	router := func(e *chaos.Engine) http.Handler {
		r := chi.NewRouter()
		if e != nil {
			r.Use(chaoschi.Middleware(e))
		}
		routes(r)
		return r
	}
	serve := func(b *testing.B, h http.Handler) { routertest.Serve(b, h, "GET", "/shop/items/abc") }
	b.Run("bare", func(b *testing.B) { serve(b, router(nil)) })
	b.Run("disabled", func(b *testing.B) { serve(b, router(routertest.Engine(b, ""))) })
	b.Run("armed-elsewhere", func(b *testing.B) { serve(b, router(routertest.Engine(b, `db.query=error(x)`))) })
	b.Run("armed-1pct", func(b *testing.B) {
		serve(b, router(routertest.Engine(b, `"GET /shop/items/{sku}"=1%status(503)`)))
	})
}
