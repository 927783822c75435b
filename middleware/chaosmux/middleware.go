package chaosmux

import (
	"github.com/faultline-go/faultline/middleware/internal/directive"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// Middleware returns gorilla/mux middleware, for [mux.Router.Use], that
// evaluates a fault point of e for each request before the next handler
// runs, with the behaviour of [chaoshttp.Middleware]: the same faults, the
// same [chaoshttp.HeaderInjected] header, the same exempt admin paths
// ([chaoshttp.AdminPrefix] and [chaoshttp.WithExempt]) and the same
// labels. The result is a [mux.MiddlewareFunc], which is also a
// func(http.Handler) http.Handler. A nil e means [chaos.Default] at the
// time Middleware is called. opts are chaoshttp's options, such as
// [chaoshttp.WithHeaderLabel], [chaoshttp.WithExempt],
// [chaoshttp.WithRecoverPanics] and [chaoshttp.WithMaxPoints] (1024 route
// templates by default); a [chaoshttp.WithPointName] among them replaces
// the naming described here, and [chaoshttp.WithServeMux] is ignored.
//
// # Point names
//
// A request's point is its method word and the path template of the route
// it matched: "GET /orders/{id}", or "PUT /api/users/{id:[0-9]+}" for a
// route of a sub-router made with PathPrefix("/api").Subrouter(). Methods
// outside the nine standard ones are named OTHER. A route without a path
// template (one matched by host or headers alone) is named after its name
// (Route.Name) if it has one. Under Use, gorilla/mux runs middleware only
// for requests that match a route, so an unmatched request makes no point;
// wrapped around a router (Middleware(e)(r)), the middleware asks the
// router which route a request matches, and counts one that matches none,
// or a route without a template or a name, at one point per method:
// "GET (unmatched)". Points are never named after a URL path, so the
// engine's registry stays bounded however many paths clients try.
//
// # Cost
//
// gorilla/mux wraps the matched handler in its middleware anew for every
// request, which costs each middleware given to Use an allocation or more.
// While no plan is applied to e, this one costs one small allocation (its
// handler value, as a middleware closure would) and a few nanoseconds.
// While a plan is applied, it reads the current route from the request's
// context and sets up chaoshttp's handler for the request; wrapped around
// a router, it matches the request once more than the router does.
//
// The middleware and the handlers it returns are safe for concurrent use.
func Middleware(e *chaos.Engine, opts ...chaoshttp.Option) mux.MiddlewareFunc {
	if e == nil {
		e = chaos.Default()
	}
	names := &routepoint.PatternNames{}
	under := &namer{names: names}
	mw := chaoshttp.Middleware(e, withName(under.name, opts)...)
	return func(next http.Handler) http.Handler {
		if router, ok := next.(*mux.Router); ok {
			around := &namer{around: router, names: names}
			return chaoshttp.Middleware(e, withName(around.name, opts)...)(next)
		}
		// Under Use, gorilla/mux wraps the matched handler anew for every
		// request, so the wrapping must be cheap: one small value, and
		// chaoshttp's handler only while a plan is applied.
		return &handler{e: e, mw: mw, next: next}
	}
}

// withName returns opts after the option that names points with name, so
// that a WithPointName of the caller's replaces it.
func withName(name func(*http.Request) string, opts []chaoshttp.Option) []chaoshttp.Option {
	all := make([]chaoshttp.Option, 0, len(opts)+1)
	all = append(all, chaoshttp.WithPointName(name))
	return append(all, opts...)
}

// handler is the http.Handler Middleware returns for a handler that is not
// a router.
type handler struct {
	e    *chaos.Engine
	mw   func(http.Handler) http.Handler
	next http.Handler
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.e.Armed() && len(r.Header[directive.HeaderKey]) == 0 {
		h.next.ServeHTTP(w, r)
		return
	}
	h.mw(h.next).ServeHTTP(w, r)
}

// namer names the points of one handler Middleware returned.
type namer struct {
	around *mux.Router // the wrapped handler, when it is a router
	names  *routepoint.PatternNames
}

// name returns the point name of r, or "" when r matches no route.
func (n *namer) name(r *http.Request) string {
	route := mux.CurrentRoute(r)
	if route == nil && n.around != nil {
		var m mux.RouteMatch
		if n.around.Match(r, &m) && m.MatchErr == nil {
			route = m.Route
		}
	}
	if route == nil {
		return ""
	}
	key, err := route.GetPathTemplate()
	if err != nil || key == "" {
		key = route.GetName()
	}
	if key == "" {
		return ""
	}
	return n.names.Get(key, r.Method)
}
