package chaoschi

import (
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
	"net/http"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// Middleware returns chi middleware that evaluates a fault point of e for
// each request before the next handler runs, with the behaviour of
// [chaoshttp.Middleware]: the same faults, the same [chaoshttp.HeaderInjected]
// header, the same exempt admin paths ([chaoshttp.AdminPrefix] and
// [chaoshttp.WithExempt]) and the same labels. A nil e means
// [chaos.Default] at the time Middleware is called. opts are chaoshttp's
// options, such as [chaoshttp.WithHeaderLabel], [chaoshttp.WithExempt],
// [chaoshttp.WithRecoverPanics] and [chaoshttp.WithMaxPoints] (1024 route
// patterns by default); a [chaoshttp.WithPointName] among them replaces
// the naming described here, and [chaoshttp.WithServeMux] is ignored.
//
// # Point names
//
// A request's point is its method word and the full chi pattern of the
// route it matches: "GET /orders/{id}", "PUT /api/users/{id}" for a route
// of r.Route("/api", …), "GET /shop/items/{sku}" for one of a router
// mounted at "/shop", "GET /legacy/*" for a plain handler mounted there.
// Methods outside the nine standard ones are named OTHER. A request that
// matches no route, or none for its method, is counted at one point per
// method: "GET (unmatched)". Points are never named after a URL path, so
// the engine's registry stays bounded however many paths clients try.
//
// The pattern is found with the router's own matcher (chi.Routes.Find),
// from the root router of the request's chi routing context, so the
// middleware may be given to r.Use of the root router or of any
// sub-router, to r.With or r.Group, or wrapped around a router
// (Middleware(e)(r)). Given to none of these, outside any chi router, it
// counts every request as unmatched.
//
// # Cost
//
// While no plan is applied to e, the middleware costs a few nanoseconds
// and no allocation: it does not look for the route. While a plan is
// applied, it finds the route once more than chi does (a tree lookup on a
// pooled routing context), and through a mounted router one string
// concatenation for the full pattern.
//
// The middleware and the handlers it returns are safe for concurrent use.
func Middleware(e *chaos.Engine, opts ...chaoshttp.Option) func(http.Handler) http.Handler {
	if e == nil {
		e = chaos.Default()
	}
	names := &routepoint.PatternNames{}
	return func(next http.Handler) http.Handler {
		rs, _ := next.(chi.Routes)
		n := &namer{around: rs, names: names}
		all := make([]chaoshttp.Option, 0, len(opts)+1)
		all = append(all, chaoshttp.WithPointName(n.name))
		all = append(all, opts...)
		return chaoshttp.Middleware(e, all...)(next)
	}
}

// namer names the points of one handler Middleware returned.
type namer struct {
	around chi.Routes // the wrapped handler, when it is a chi router
	names  *routepoint.PatternNames
}

// routeContexts holds the routing contexts Find fills, so that finding a
// route allocates nothing.
var routeContexts = sync.Pool{New: func() any { return chi.NewRouteContext() }}

// name returns the point name of r, or "" when r matches no route.
func (n *namer) name(r *http.Request) string {
	routes := n.around
	path := ""
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.Routes != nil {
		// Inside a router: ask the root router, with the whole path, so
		// that a sub-router's middleware gets the full pattern too. At the
		// root, before routing, a middleware such as StripSlashes may have
		// set the path chi will route on.
		routes = rctx.Routes
		if len(rctx.RoutePatterns) == 0 {
			path = rctx.RoutePath
		}
	}
	if routes == nil || r.URL == nil {
		return ""
	}
	if path == "" {
		path = r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
	}
	if path == "" || path[0] != '/' {
		return ""
	}
	fctx := routeContexts.Get().(*chi.Context)
	fctx.Reset()
	pattern := routes.Find(fctx, r.Method, path)
	routeContexts.Put(fctx)
	if pattern == "" {
		return ""
	}
	return n.names.Get(pattern, r.Method)
}
