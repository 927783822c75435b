package chaoshttp

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/faultline-go/faultline/chaos"
)

// LabelMethod is the label that carries the request method ("GET", "POST",
// …, or "OTHER" for a method outside the standard nine), for rules such as
// label.method=POST.
const LabelMethod = "method"

// numMethods counts the method words points and labels use.
const numMethods = 10

// methods are the words a request method is named with: the nine methods of
// RFC 9110 and RFC 5789, and OTHER for every other method, so that names
// and labels stay a bounded set whatever clients send.
var methods = [numMethods]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "OTHER"}

// methodLabels holds the method label of each method word, made once so
// that gathering labels allocates nothing.
var methodLabels = func() (ls [numMethods]chaos.Label) {
	for i, m := range methods {
		ls[i] = chaos.Label{Key: LabelMethod, Value: m}
	}
	return ls
}()

// methodIndex returns the index in methods of the request method m. An
// empty method is GET, as http.Request documents for clients.
func methodIndex(m string) int {
	switch m {
	case http.MethodGet, "":
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	case http.MethodConnect:
		return 6
	case http.MethodOptions:
		return 7
	case http.MethodTrace:
		return 8
	}
	return numMethods - 1
}

// Fallback names: the point of a request the namer cannot name within
// bounds.
const (
	unmatchedSuffix = " (unmatched)"        // server, after the method word
	clientPrefix    = "http.client "        // client, before the host
	clientFallback  = "http.client (other)" // client without a host, or beyond the bound
)

// serverName returns the point name of a server route key (a ServeMux
// pattern) for the method word at index m, and whether the name is the
// same for every method. A pattern that names a method is the name, with
// the space after the method normalised; any other pattern is prefixed by
// the request's method word; the empty key is "METHOD (unmatched)".
func serverName(key string, m int) (name string, fixed bool) {
	if key == "" {
		return methods[m] + unmatchedSuffix, false
	}
	i := strings.IndexAny(key, " \t")
	if i < 0 {
		return methods[m] + " " + key, false
	}
	rest := strings.TrimLeft(key[i:], " \t")
	if len(rest) == len(key)-i-1 && key[i] == ' ' {
		return key, true // already "METHOD /path"
	}
	return key[:i] + " " + rest, true
}

// clientName returns the point name of a client route key (a host).
func clientName(host string) string {
	if host == "" {
		return clientFallback
	}
	return clientPrefix + strings.ToLower(host)
}

// registry maps the route keys of one Middleware or Transport (patterns,
// custom names or hosts) to their points, and bounds how many it makes.
// Lookups of known keys take no lock.
type registry struct {
	e        *chaos.Engine
	cfg      config
	client   bool
	fallback *route

	routes sync.Map    // key → *route
	full   atomic.Bool // set once max keys are stored
	mu     sync.Mutex  // serialises adding keys
	n      int         // keys stored; guarded by mu
}

// route is the points of one key: one point for every method when the
// name does not depend on the method (fixed), else one per method word,
// made on first use.
type route struct {
	key    string
	fixed  *chaos.Point
	points [numMethods]atomic.Pointer[chaos.Point]
}

func newRegistry(e *chaos.Engine, cfg config, client bool) *registry {
	g := &registry{e: e, cfg: cfg, client: client}
	g.fallback = &route{}
	if client {
		g.fallback.fixed = e.Point(clientFallback)
	}
	return g
}

// cached returns the route for key, trying first the route held in first:
// the first key the caller saw. A handler inside a ServeMux and a transport
// talking to one host see one key, which this finds with one load and one
// string comparison, and without writing shared memory.
func (g *registry) cached(first *atomic.Pointer[route], key string) *route {
	if rt := first.Load(); rt != nil && sameString(rt.key, key) {
		return rt
	}
	rt := g.route(key)
	if rt != g.fallback && first.Load() == nil {
		first.CompareAndSwap(nil, rt)
	}
	return rt
}

// route returns the route for key, adding it while the registry holds
// fewer than the bound, and the fallback route after.
func (g *registry) route(key string) *route {
	if key == "" {
		return g.fallback
	}
	if v, ok := g.routes.Load(key); ok {
		return v.(*route)
	}
	if g.full.Load() {
		return g.fallback
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if v, ok := g.routes.Load(key); ok {
		return v.(*route)
	}
	if g.cfg.maxPoints > 0 && g.n >= g.cfg.maxPoints {
		g.full.Store(true)
		return g.fallback
	}
	rt := &route{key: key}
	switch {
	case g.client && g.cfg.name == nil:
		rt.fixed = g.e.Point(clientName(key))
	case g.cfg.name != nil:
		rt.fixed = g.e.Point(key)
	default:
		if name, fixed := serverName(key, 0); fixed {
			rt.fixed = g.e.Point(name)
		}
	}
	g.routes.Store(key, rt)
	g.n++
	return rt
}

// point returns the point of rt for the method word at index m.
func (g *registry) point(rt *route, m int) *chaos.Point {
	if rt.fixed != nil {
		return rt.fixed
	}
	if p := rt.points[m].Load(); p != nil {
		return p
	}
	name, _ := serverName(rt.key, m)
	p := g.e.Point(name) // idempotent, so racing stores store the same point
	rt.points[m].Store(p)
	return p
}

// decide evaluates p for a request with method word m and header h, with
// its labels (see labels). They are gathered on the stack (DecideLabels
// keeps none of them), so deciding allocates nothing unless a header value
// is cut.
func (c *config) decide(ctx context.Context, p *chaos.Point, m int, h http.Header) chaos.Decision {
	if len(c.headers) == 0 {
		return p.DecideLabels(ctx, methodLabels[m:m+1]...)
	}
	var buf [4]chaos.Label
	return p.DecideLabels(ctx, c.labels(buf[:0], m, h)...)
}

// labels appends to dst the labels of a request with method word m and
// header h: the method, then each configured header that is present. A
// header value longer than chaos.MaxLabelValue is cut to its first
// MaxLabelValue bytes, copied: a substring would keep the whole header
// alive in whatever keeps the label (an observer, an events ring).
func (c *config) labels(dst []chaos.Label, m int, h http.Header) []chaos.Label {
	dst = append(dst, methodLabels[m])
	for _, hl := range c.headers {
		if v := h[hl.header]; len(v) > 0 {
			dst = append(dst, chaos.Label{Key: hl.label, Value: cutLabel(v[0])})
		}
	}
	return dst
}

// cutLabel returns v, or a copy of its first chaos.MaxLabelValue bytes
// when it is longer.
func cutLabel(v string) string {
	if len(v) <= chaos.MaxLabelValue {
		return v
	}
	return strings.Clone(v[:chaos.MaxLabelValue])
}

// sameString reports whether a == b, comparing the strings' pointers
// before their bytes: the pattern a ServeMux hands a handler is the very
// string it was registered with, so a route key seen again is usually the
// same string, found equal without a call to compare bytes.
func sameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}
