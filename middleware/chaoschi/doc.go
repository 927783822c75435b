// Package chaoschi names the fault points of [chaoshttp.Middleware] after
// the route patterns of a [chi] router, such as "GET /orders/{id}", so that
// a plan written against a route fires under chi's usual r.Use:
//
//	e := chaos.New()
//	r := chi.NewRouter()
//	r.Use(middleware.Recoverer)
//	r.Use(chaoschi.Middleware(e))
//	r.Get("/orders/{id}", getOrder)
//
//	// later, from a test, a file or an admin endpoint:
//	e.Apply(chaos.MustParsePlan(`"GET /orders/{id}"=5%status(503)`))
//
// Under r.Use the middleware runs before chi has routed the request, so
// chaoshttp alone can only count every request at "GET (unmatched)". This
// package asks the router which pattern the request will match, without
// serving it, and gives the full pattern through sub-routers (r.Route,
// r.Group, r.Mount). Everything else, the faults, the exempt admin paths,
// labels and the kill switch, is chaoshttp's, configured with its options.
//
// [chi]: https://github.com/go-chi/chi
package chaoschi
