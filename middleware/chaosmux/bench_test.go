package chaosmux_test

import (
	"net/http"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosmux"
	"github.com/faultline-go/faultline/middleware/internal/routertest"
)

// BenchmarkMiddleware serves PUT /api/users/7, a route of a sub-router,
// through a reused recorder: "bare" is gorilla/mux alone,
// "noop-middleware" gorilla/mux with a middleware that does nothing (what
// gorilla/mux costs per middleware), "disabled" adds
// the middleware under Use with no plan applied, "disabled-around" wraps
// it around the router instead, "armed-elsewhere" with a
// plan that names another point (the route is named, nothing fires), and
// "armed-1pct" with a rule on the route that fires for 1% of requests.
func BenchmarkMiddleware(b *testing.B) {
	engine := func(plan string) *chaos.Engine { return routertest.Engine(b, plan) }
	serve := func(b *testing.B, h http.Handler) { routertest.Serve(b, h, "PUT", "/api/users/7") }
	b.Run("bare", func(b *testing.B) { serve(b, newRouter(nil)) })
	b.Run("noop-middleware", func(b *testing.B) { serve(b, newRouter(noop)) })
	b.Run("disabled", func(b *testing.B) { serve(b, newRouter(chaosmux.Middleware(engine("")))) })
	b.Run("disabled-around", func(b *testing.B) { serve(b, chaosmux.Middleware(engine(""))(newRouter(nil))) })
	b.Run("armed-elsewhere", func(b *testing.B) { serve(b, newRouter(chaosmux.Middleware(engine(`db.query=error(x)`)))) })
	b.Run("armed-1pct", func(b *testing.B) {
		serve(b, newRouter(chaosmux.Middleware(engine(`"PUT /api/users/{id:[0-9]+}"=1%status(503)`))))
	})
}
