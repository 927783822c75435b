package chaoschi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaoschi"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

func ExampleMiddleware() {
	e := chaos.New(chaos.WithSeed(1))
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(chaoschi.Middleware(e))
	r.Get("/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "order %s", chi.URLParam(r, "id"))
	})
	r.Route("/api", func(r chi.Router) {
		r.Get("/users/{id}", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "user %s", chi.URLParam(r, "id"))
		})
	})

	get := func(target string) {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		kind, _, _ := strings.Cut(rec.Header().Get(chaoshttp.HeaderInjected), ";")
		fmt.Printf("%s: %d injected=%q body=%q\n", target, rec.Code, kind, strings.TrimSpace(rec.Body.String()))
	}

	// Plans name chi's route patterns, full through sub-routers.
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/{id}"=1*status(503,"try later");"GET /api/users/{id}"=error(boom,502);"GET (unmatched)"=status(410)`)); err != nil {
		fmt.Println(err)
	}
	get("/orders/42")
	get("/orders/43")
	get("/api/users/7")
	get("/no/such/page")
	// Output:
	// /orders/42: 503 injected="status" body="try later"
	// /orders/43: 200 injected="" body="order 43"
	// /api/users/7: 502 injected="error" body="faultline: injected error at GET /api/users/{id}: boom"
	// /no/such/page: 410 injected="status" body=""
}
