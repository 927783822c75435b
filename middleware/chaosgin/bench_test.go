package chaosgin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosgin"
)

// BenchmarkMiddleware serves PUT /api/users/7, a route of a group, through
// a reused recorder: "bare" is gin alone, "disabled" adds the middleware
// with no plan applied, "armed-elsewhere" with a plan that names another
// point (the route's point is found, nothing fires), and "armed-1pct" with
// a rule on the route that fires for 1% of requests.
func BenchmarkMiddleware(b *testing.B) {
	engine := func(plan string) *chaos.Engine {
		e := chaos.New(chaos.WithSeed(1))
		if plan != "" {
			if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
				b.Fatal(err)
			}
		}
		return e
	}
	serve := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("PUT", "/api/users/7", nil)
		for b.Loop() {
			rec.Body.Reset()
			h.ServeHTTP(rec, req)
		}
	}
	b.Run("bare", func(b *testing.B) { serve(b, newRouter()) })
	b.Run("disabled", func(b *testing.B) { serve(b, newRouter(chaosgin.Middleware(engine("")))) })
	b.Run("armed-elsewhere", func(b *testing.B) { serve(b, newRouter(chaosgin.Middleware(engine(`db.query=error(x)`)))) })
	b.Run("armed-1pct", func(b *testing.B) {
		serve(b, newRouter(chaosgin.Middleware(engine(`"PUT /api/users/:id"=1%status(503)`))))
	})
}
