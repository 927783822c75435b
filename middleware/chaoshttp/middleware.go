package chaoshttp

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/internal/directive"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// Middleware returns server middleware, in the shape chi and otelhttp use,
// that evaluates a fault point of e for each request before the wrapped
// handler runs. A nil e means [chaos.Default] at the time Middleware is
// called; a nil handler means [http.DefaultServeMux], as for [http.Server].
//
// # Point names
//
// A request's point is named after the [http.ServeMux] pattern it matches,
// with its method: "GET /users/{id}", or "POST /upload" for a request with
// method POST matched by the pattern "/upload" (methods outside the nine
// standard ones are named OTHER). The pattern comes from the request
// itself when the middleware runs inside the mux
// (mux.Handle("GET /users/{id}", mw(h))); when it wraps a *http.ServeMux
// (mw(mux)), or a handler that ends in one given with [WithServeMux], it
// asks the mux which pattern the request matches. A request that matches
// no pattern, or that reaches a middleware that knows of no mux, is counted
// at one point per method: "GET (unmatched)". Points are never named after
// a URL path, so the engine's registry stays bounded however many paths
// clients try; [WithPointName] names points another way (for other
// routers) and [WithMaxPoints] bounds them.
//
// # Faults
//
// While no rule names the request's point, the middleware costs a few
// nanoseconds and no allocation. Around a mux it costs one more pattern
// match as well (the mux matches again to serve), so place it inside the
// mux where the cost matters. When a rule fires:
//
//   - latency waits before the handler runs. hang waits until the
//     request's context is done, for at most its bound: the fault's own
//     (hang(30s)) capped by the policy's MaxLatency, or for a bare hang
//     MaxLatency, or [faults.DefaultHangLimit] (one minute) without one. At
//     the bound the middleware answers 503 Service Unavailable with the
//     injected error's text, without running the handler. If the context ends during either wait
//     (the client went away), the handler does not run and the middleware
//     answers 503 as well. The kill switch ([chaos.Engine.Disable]) ends
//     every wait at once, and the handler then runs normally. While it
//     waits, the middleware reads up to 64 KiB of the request's body ahead
//     and hands it to the handler afterwards, untouched: net/http notices a
//     client that went away only by reading from its connection, so
//     without this a request whose body is unread would wait out its whole
//     bound after its client left.
//   - error answers the fault's Code, or 500 Internal Server Error, with the
//     injected error's text, without running the handler; so does badconn,
//     which means nothing to HTTP.
//   - status answers the fault's Code, with its Body as text/plain if it
//     has one, without running the handler.
//   - abort cuts the connection: it panics with [http.ErrAbortHandler],
//     which net/http recovers silently (and httptest.ResponseRecorder does
//     not).
//   - panic panics with the injected error, as a bug in the handler would;
//     with [WithRecoverPanics] it answers 500 instead.
//   - corrupt runs the handler and damages its response body: a body with
//     a declared Content-Length is cut after the first half of it, so the
//     client sees the connection close early; one without keeps its length
//     but has every byte inverted (XOR 0xFF), so that nothing decodes it.
//     The ResponseWriter given to the handler still flushes, and unwraps
//     for [http.ResponseController].
//
// Every response a fault wrote, delayed or corrupted carries the
// [HeaderInjected] header. The request's labels, for rules that match
// labels or decide stickily, are [LabelMethod] and those of
// [WithHeaderLabel].
//
// # Exempt paths
//
// Requests under [AdminPrefix], where the admin handler of package
// [github.com/faultline-go/faultline/chaos/admin] is documented to be
// mounted, and under the prefixes of [WithExempt], are never fault points,
// whatever plan is applied: a plan such as *=status(503) cannot keep
// operators from the kill switch. The check is on the URL path, so it
// holds wherever the middleware is placed, chi's Use included, but for
// one place: inside an [http.StripPrefix] (or a router's mount) that has
// already cut the prefix off. Place the middleware around the router, or
// on the application's routes only.
//
// The middleware and the handlers it returns are safe for concurrent use.
func Middleware(e *chaos.Engine, opts ...Option) func(http.Handler) http.Handler {
	if e == nil {
		e = chaos.Default()
	}
	g := newRegistry(e, newConfig(opts), false)
	return func(next http.Handler) http.Handler {
		if next == nil {
			next = http.DefaultServeMux
		}
		h := &handler{next: next, g: g, mux: g.cfg.mux}
		if m, ok := next.(*http.ServeMux); ok && h.mux == nil {
			h.mux = m
		}
		h.byPattern = h.mux == nil && g.cfg.name == nil
		return h
	}
}

// handler is the http.Handler Middleware returns for one wrapped handler.
type handler struct {
	next      http.Handler
	g         *registry
	mux       *http.ServeMux
	byPattern bool                  // points are named from r.Pattern
	first     atomic.Pointer[route] // the first route seen; see routepoint.Registry.Cached
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if vs := r.Header[directive.HeaderKey]; len(vs) > 0 {
		if ctx, ok := directive.Accept(r.Context(), h.g.e, vs); ok {
			h.serveDirective(w, r.WithContext(ctx))
			return
		}
	}
	// The common case, inlined: inside a mux, at the route seen first.
	var p *chaos.Point
	if rt := h.first.Load(); rt != nil && rt.Fixed() != nil && h.byPattern && routepoint.SameString(rt.Key(), r.Pattern) {
		p = rt.Fixed()
	} else if !h.g.e.Armed() || h.g.cfg.exempted(r) {
		// Nothing can fire: skip finding the route, which around a mux
		// means matching the request a second time.
		h.next.ServeHTTP(w, r)
		return
	} else {
		p = h.point(r)
	}
	if !p.Armed() || h.g.cfg.exempted(r) {
		h.next.ServeHTTP(w, r)
		return
	}
	h.serveArmed(w, r, p)
}

// serveDirective serves r, whose baggage named a directive: its context
// carries the token to forward, and the directive's rules if the engine
// accepted them, in which case r's point decides even while no rule of the
// plan names it.
func (h *handler) serveDirective(w http.ResponseWriter, r *http.Request) {
	_, accepted := chaos.DirectiveFrom(r.Context())
	if h.g.cfg.exempted(r) || (!accepted && !h.g.e.Armed()) {
		h.next.ServeHTTP(w, r)
		return
	}
	p := h.point(r)
	if !accepted && !p.Armed() {
		h.next.ServeHTTP(w, r)
		return
	}
	h.serveArmed(w, r, p)
}

// point returns the fault point of r.
func (h *handler) point(r *http.Request) *chaos.Point {
	var key string
	switch {
	case h.g.cfg.name != nil:
		key = h.g.cfg.name(r)
	case h.mux != nil:
		if r.URL != nil {
			_, key = h.mux.Handler(r)
		}
	default:
		key = r.Pattern
	}
	rt := h.g.Cached(&h.first, key)
	if rt.Fixed() != nil {
		return rt.Fixed()
	}
	return h.g.Point(rt, routepoint.MethodIndex(r.Method))
}

// serveArmed serves r while a rule names its point p.
func (h *handler) serveArmed(w http.ResponseWriter, r *http.Request, p *chaos.Point) {
	ctx := r.Context()
	d := h.g.cfg.Decide(ctx, p, routepoint.MethodIndex(r.Method), r.Header)
	if !d.Fired() {
		h.next.ServeHTTP(w, r)
		return
	}
	value := routepoint.InjectedValue(d.Kind(), d.Point())
	switch f := d.Fault(); f.Kind {
	case faults.KindLatency, faults.KindHang, faults.KindPause:
		h.serveWait(w, r, d, value)
	case faults.KindSqueeze:
		w.Header().Set(HeaderInjected, value)
		h.next.ServeHTTP(w, r.WithContext(d.Context(ctx)))
	case faults.KindCustom:
		if err := d.Inject(ctx); err != nil {
			writeError(w, http.StatusInternalServerError, err.Error(), value)
			return
		}
		w.Header().Set(HeaderInjected, value)
		h.next.ServeHTTP(w, r)
	case faults.KindStatus:
		writeStatus(w, f.Code, f.Body, value)
	case faults.KindAbort:
		panic(http.ErrAbortHandler)
	case faults.KindPanic:
		if !h.g.cfg.recover {
			panic(d.Err())
		}
		writeError(w, http.StatusInternalServerError, d.Err().Error(), value)
	case faults.KindCorrupt:
		w.Header().Set(HeaderInjected, value)
		h.next.ServeHTTP(&corruptWriter{ResponseWriter: w, limit: -1}, r)
	default: // error, and badconn, which HTTP has no use for
		writeError(w, routepoint.ErrorCode(f), d.Err().Error(), value)
	}
}

// serveWait waits out the latency or hang d, then serves r with the
// wrapped handler if the wait ran its course (latency) or the kill switch
// cut it short, and answers 503 Service Unavailable if the request's
// context ended first or a hang reached its bound. Meanwhile it reads the
// request's body ahead (see heldBody), so that a client that goes away
// ends the wait even while its body is unread.
func (h *handler) serveWait(w http.ResponseWriter, r *http.Request, d chaos.Decision, value string) {
	w.Header().Set(HeaderInjected, value)
	held := holdBody(r)
	err := d.Inject(r.Context())
	if held != nil {
		if err != nil {
			held.end(w)
		} else {
			held.stop.Store(true)
			r.Body = held
			defer held.end(w)
		}
	}
	switch {
	case err == nil:
		h.next.ServeHTTP(w, r)
	case errors.Is(err, faults.ErrInjected): // a hang reached its bound
		writeError(w, http.StatusServiceUnavailable, err.Error(), value)
	default:
		writeError(w, http.StatusServiceUnavailable, "chaoshttp: request ended during injected "+d.Kind().String()+": "+err.Error(), value)
	}
}

// writeError answers code with msg as text, marked as injected.
func writeError(w http.ResponseWriter, code int, msg, value string) {
	w.Header().Set(HeaderInjected, value)
	http.Error(w, msg, code)
}

// writeStatus answers code with body as text, marked as injected.
func writeStatus(w http.ResponseWriter, code int, body, value string) {
	hdr := w.Header()
	hdr.Set(HeaderInjected, value)
	if body == "" || !routepoint.BodyAllowed(code) {
		w.WriteHeader(code)
		return
	}
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body) // the client may be gone; nothing to do about it
}
