// Package chaosmux names the fault points of [chaoshttp.Middleware] after
// the path templates of a [gorilla/mux] router, such as
// "GET /orders/{id}", so that a plan written against a route fires under
// the router's usual Use:
//
//	e := chaos.New()
//	r := mux.NewRouter()
//	r.HandleFunc("/orders/{id}", getOrder).Methods("GET")
//	r.Use(chaosmux.Middleware(e))
//
//	// later, from a test, a file or an admin endpoint:
//	e.Apply(chaos.MustParsePlan(`"GET /orders/{id}"=5%status(503)`))
//
// gorilla/mux matches a request before its middleware runs, so the
// middleware names the point after the route it matched
// (mux.CurrentRoute), with the full template through sub-routers. The
// faults, the exempt admin paths, labels and the kill switch are
// chaoshttp's, configured with its options.
//
// [gorilla/mux]: https://github.com/gorilla/mux
package chaosmux
