package chaosfx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/fx"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosfx"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmarks
// measure the middleware rather than a recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkMiddleware measures a request through the middleware the module
// provides, against the bare handler: with no plan, and with a plan that
// names another point.
func BenchmarkMiddleware(b *testing.B) {
	var (
		e  *chaos.Engine
		mw chaosfx.Middleware
	)
	app := fx.New(fx.NopLogger, chaosfx.Module, fx.Supply(chaosfx.Config{Seed: 1}), fx.Populate(&e, &mw))
	if err := app.Err(); err != nil {
		b.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	bare := http.NewServeMux()
	bare.Handle("GET /quote", ok)
	wrapped := http.NewServeMux()
	wrapped.Handle("GET /quote", mw(ok))
	req := httptest.NewRequest(http.MethodGet, "/quote", nil)

	cases := []struct {
		name string
		h    http.Handler
		plan string
	}{
		{"bare", bare, ""},
		{"disabled", wrapped, ""},
		{"other-point-armed", wrapped, `"GET /other"=error(x)`},
	}
	for _, c := range cases {
		if err := e.Apply(chaos.MustParsePlan(c.plan)); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			w := &discardWriter{h: http.Header{}}
			for b.Loop() {
				c.h.ServeHTTP(w, req)
			}
		})
		b.Run(c.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &discardWriter{h: http.Header{}}
				req := req.Clone(req.Context()) // the mux writes to the request
				for pb.Next() {
					c.h.ServeHTTP(w, req)
				}
			})
		})
	}
}
