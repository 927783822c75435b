package chaosgin_test

import (
	"net/http"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosgin"
	"github.com/faultline-go/faultline/middleware/internal/routertest"
)

// BenchmarkMiddleware serves PUT /api/users/7, a route of a group, through
// a reused recorder: "bare" is gin alone, "disabled" adds the middleware
// with no plan applied, "armed-elsewhere" with a plan that names another
// point (the route's point is found, nothing fires), and "armed-1pct" with
// a rule on the route that fires for 1% of requests.
func BenchmarkMiddleware(b *testing.B) {
	engine := func(plan string) *chaos.Engine { return routertest.Engine(b, plan) }
	serve := func(b *testing.B, h http.Handler) { routertest.Serve(b, h, "PUT", "/api/users/7") }
	b.Run("bare", func(b *testing.B) { serve(b, newRouter()) })
	b.Run("disabled", func(b *testing.B) { serve(b, newRouter(chaosgin.Middleware(engine("")))) })
	b.Run("armed-elsewhere", func(b *testing.B) { serve(b, newRouter(chaosgin.Middleware(engine(`db.query=error(x)`)))) })
	b.Run("armed-1pct", func(b *testing.B) {
		serve(b, newRouter(chaosgin.Middleware(engine(`"PUT /api/users/:id"=1%status(503)`))))
	})
}
