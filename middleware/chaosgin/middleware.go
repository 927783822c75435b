package chaosgin

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// Middleware returns gin middleware, for Engine.Use, RouterGroup.Use or a
// route's handlers, that evaluates a fault point of e for each request
// before the next handler runs. A nil e means [chaos.Default] at the time
// Middleware is called.
//
// # Point names
//
// A request's point is its method word and the path of the route gin
// matched (gin.Context.FullPath): "GET /orders/:id", "PUT /api/users/:id"
// for a route of the group "/api". Methods outside the nine standard ones
// are named OTHER. A request that matches no route (which gin serves
// through the engine's middleware and its NoRoute handlers) is counted at
// one point per method: "GET (unmatched)". Points are never named after a
// URL path, and at most [WithMaxPoints] route paths make points, so the
// engine's registry stays bounded however many paths clients try.
//
// # Faults
//
// While no plan is applied to e, the middleware costs a few nanoseconds
// and no allocation. When a rule fires:
//
//   - latency waits before the next handler runs. hang waits until the
//     request's context is done, for at most its bound (see
//     [faults.DefaultHangLimit]); at the bound, or if the context ends
//     during either wait, the middleware aborts with 503 Service
//     Unavailable and the injected error's text. The kill switch
//     ([chaos.Engine.Disable]) ends every wait at once, and the chain then
//     goes on normally.
//   - status aborts with the fault's Code, and its Body as text/plain if
//     it has one.
//   - error aborts with the fault's Code, or 500 Internal Server Error, and
//     the injected error's text; so does badconn, which means nothing to
//     HTTP. The injected error is added to the context (gin.Context.Error).
//   - panic panics with the injected error, as a bug in the handler would,
//     for gin.Recovery to answer 500.
//   - abort hijacks the connection and closes it. Where the connection
//     cannot be hijacked (HTTP/2, a test recorder), it panics with
//     [http.ErrAbortHandler] instead, which net/http answers by cutting
//     the stream; gin.Recovery takes that panic for a broken pipe and
//     writes nothing more.
//   - corrupt runs the rest of the chain and inverts every byte of the
//     response body (XOR 0xFF), so that nothing decodes it.
//
// Every response a fault wrote, delayed or corrupted carries the
// [chaoshttp.HeaderInjected] header. The request's labels, for rules that
// match labels or decide stickily, are "method" ([chaoshttp.LabelMethod])
// and those of [WithHeaderLabel]. Requests under [chaoshttp.AdminPrefix]
// and the prefixes of [WithExempt] are never fault points.
//
// The middleware is safe for concurrent use.
func Middleware(e *chaos.Engine, opts ...Option) gin.HandlerFunc {
	return handler{routepoint.NewServer(e, opts...)}.serve
}

// handler is the middleware one call of Middleware returns.
type handler struct{ s *routepoint.Server }

// serve is the gin.HandlerFunc of h.
func (h handler) serve(c *gin.Context) {
	r, accepted := h.s.Accept(c.Request)
	c.Request = r
	if !accepted && !h.s.Armed() {
		return // gin goes on with the chain
	}
	if d, fired := h.s.Decide(c.Request, c.FullPath()); fired {
		serveFault(c, d)
	}
}

// serveFault carries out the fault d fired for the request of c.
func serveFault(c *gin.Context, d chaos.Decision) {
	c.Header(chaoshttp.HeaderInjected, routepoint.InjectedValue(d.Kind(), d.Point()))
	switch f := d.Fault(); f.Kind {
	case faults.KindLatency, faults.KindHang:
		err := d.Inject(c.Request.Context())
		switch {
		case err == nil:
			return
		case errors.Is(err, faults.ErrInjected): // a hang reached its bound
			abortText(c, http.StatusServiceUnavailable, err, err.Error())
		default:
			abortText(c, http.StatusServiceUnavailable, d.Err(),
				"chaosgin: request ended during injected "+d.Kind().String()+": "+err.Error())
		}
	case faults.KindStatus:
		if f.Body == "" || !routepoint.BodyAllowed(f.Code) {
			c.AbortWithStatus(f.Code)
			return
		}
		c.Data(f.Code, "text/plain; charset=utf-8", []byte(f.Body))
		c.Abort()
	case faults.KindCorrupt:
		w := c.Writer
		c.Writer = &corruptWriter{ResponseWriter: w}
		defer func() { c.Writer = w }()
		c.Next()
	case faults.KindPanic:
		panic(d.Err())
	case faults.KindAbort:
		abortConn(c)
	default: // error, and badconn, which HTTP has no use for
		abortText(c, routepoint.ErrorCode(f), d.Err(), d.Err().Error())
	}
}

// abortText records err on c and aborts with code and msg as text.
func abortText(c *gin.Context, code int, err error, msg string) {
	_ = c.Error(err) // returns its argument, wrapped
	c.Data(code, "text/plain; charset=utf-8", []byte(msg))
	c.Abort()
}

// abortConn cuts the connection of c: it hijacks and closes it where the
// server's writer allows, and panics with http.ErrAbortHandler elsewhere.
func abortConn(c *gin.Context) {
	if u, ok := c.Writer.(interface{ Unwrap() http.ResponseWriter }); ok {
		if _, ok := u.Unwrap().(http.Hijacker); ok {
			if conn, _, err := c.Writer.Hijack(); err == nil {
				_ = conn.Close() // the point is to cut it
				c.Abort()
				return
			}
		}
	}
	panic(http.ErrAbortHandler)
}

// corruptWriter inverts every byte written through it.
type corruptWriter struct {
	gin.ResponseWriter
}

// Write implements http.ResponseWriter.
func (w *corruptWriter) Write(p []byte) (int, error) {
	return w.ResponseWriter.Write(routepoint.Invert(nil, p))
}

// WriteString implements gin.ResponseWriter.
func (w *corruptWriter) WriteString(s string) (int, error) {
	return w.ResponseWriter.Write(routepoint.Invert(nil, []byte(s)))
}
