package chaosmux_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gorilla/mux"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/chaosmux"
)

func ExampleMiddleware() {
	e := chaos.New(chaos.WithSeed(1))
	r := mux.NewRouter()
	r.HandleFunc("/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "order %s", mux.Vars(r)["id"])
	}).Methods("GET")
	api := r.PathPrefix("/api").Subrouter()
	api.HandleFunc("/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user %s", mux.Vars(r)["id"])
	})
	r.Use(chaosmux.Middleware(e))

	get := func(target string) {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		kind, _, _ := strings.Cut(rec.Header().Get(chaoshttp.HeaderInjected), ";")
		fmt.Printf("%s: %d injected=%q body=%q\n", target, rec.Code, kind, strings.TrimSpace(rec.Body.String()))
	}

	// Plans name the routes' full path templates.
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/{id}"=1*status(503,"try later");"GET /api/users/{id}"=error(boom,502)`)); err != nil {
		fmt.Println(err)
	}
	get("/orders/42")
	get("/orders/43")
	get("/api/users/7")
	// Output:
	// /orders/42: 503 injected="status" body="try later"
	// /orders/43: 200 injected="" body="order 43"
	// /api/users/7: 502 injected="error" body="faultline: injected error at GET /api/users/{id}: boom"
}
