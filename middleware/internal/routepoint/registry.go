package routepoint

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/faultline-go/faultline/chaos"
)

// Registry maps the route keys of one middleware or transport (route
// patterns, route paths, custom names or hosts) to their points, and
// bounds how many keys it makes points for. Lookups of known keys take no
// lock. It is safe for concurrent use.
type Registry struct {
	e        *chaos.Engine
	max      int
	fixed    func(key string) string
	fallback *Route

	routes sync.Map    // key → *Route
	full   atomic.Bool // set once max keys are stored
	mu     sync.Mutex  // serialises adding keys
	n      int         // keys stored; guarded by mu
}

// Route is the points of one route key: one point for every method when
// the name does not depend on the method (fixed), else one per method
// word, made on first use.
type Route struct {
	key    string
	fixed  *chaos.Point
	points [NumMethods]atomic.Pointer[chaos.Point]
}

// Key returns the route key of rt, "" for the fallback route.
func (rt *Route) Key() string { return rt.key }

// Fixed returns the point of rt for every method, or nil when rt has one
// point per method word.
func (rt *Route) Fixed() *chaos.Point { return rt.fixed }

// NewRegistry returns a registry of points of e for at most max route keys
// (no bound when max <= 0).
//
// fixed, when not nil, is called once for each key added and returns the
// name of the one point of that key, or "" when the key has one point per
// method word, named by [PointName]. A nil fixed gives every key one point
// per method word.
//
// The fallback route, for the empty key and for keys beyond the bound, has
// the one point named fallback, or, when fallback is "", one point per
// method word: "GET (unmatched)".
func NewRegistry(e *chaos.Engine, max int, fixed func(key string) string, fallback string) *Registry {
	g := &Registry{e: e, max: max, fixed: fixed, fallback: &Route{}}
	if fallback != "" {
		g.fallback.fixed = e.Point(fallback)
	}
	return g
}

// Fallback returns the route of requests the registry cannot name.
func (g *Registry) Fallback() *Route { return g.fallback }

// Cached returns the route for key, trying first the route held in first:
// the first key the caller saw. A handler inside a router and a transport
// talking to one host see one key, which this finds with one load and one
// string comparison, and without writing shared memory.
func (g *Registry) Cached(first *atomic.Pointer[Route], key string) *Route {
	if rt := first.Load(); rt != nil && SameString(rt.key, key) {
		return rt
	}
	rt := g.Route(key)
	if rt != g.fallback && first.Load() == nil {
		first.CompareAndSwap(nil, rt)
	}
	return rt
}

// Route returns the route for key, adding it while the registry holds
// fewer keys than its bound, and the fallback route for the empty key and
// after the bound.
func (g *Registry) Route(key string) *Route {
	if key == "" {
		return g.fallback
	}
	if v, ok := g.routes.Load(key); ok {
		return v.(*Route)
	}
	if g.full.Load() {
		return g.fallback
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if v, ok := g.routes.Load(key); ok {
		return v.(*Route)
	}
	if g.max > 0 && g.n >= g.max {
		g.full.Store(true)
		return g.fallback
	}
	rt := &Route{key: key}
	if g.fixed != nil {
		if name := g.fixed(key); name != "" {
			rt.fixed = g.e.Point(name)
		}
	}
	g.routes.Store(key, rt)
	g.n++
	return rt
}

// Point returns the point of rt for the method word at index m of
// [Methods].
func (g *Registry) Point(rt *Route, m int) *chaos.Point {
	if rt.fixed != nil {
		return rt.fixed
	}
	if p := rt.points[m].Load(); p != nil {
		return p
	}
	p := g.e.Point(PointName(rt.key, m)) // idempotent, so racing stores store the same point
	rt.points[m].Store(p)
	return p
}

// SameString reports whether a == b, comparing the strings' pointers
// before their bytes: the pattern a router hands a handler is usually the
// very string it was registered with, so a route key seen again is found
// equal without a call to compare bytes.
func SameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}
