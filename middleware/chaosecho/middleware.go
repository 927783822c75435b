package chaosecho

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// Middleware returns echo middleware, for Echo.Use, Group.Use or a route's
// middleware, that evaluates a fault point of e for each request before
// the next handler runs. A nil e means [chaos.Default] at the time
// Middleware is called.
//
// # Point names
//
// A request's point is its method word and the path of the route echo
// matched (echo.Context.Path): "GET /orders/:id", "PUT /api/users/:id" for
// a route of the group "/api". Methods outside the nine standard ones are
// named OTHER. A request that matches no route is counted at one point per
// method: "GET (unmatched)"; one whose path matches a route registered for
// other methods is named after that route with its own method ("POST
// /orders/:id"), as echo reports it. Points are never named after a URL
// path, and at most [WithMaxPoints] route paths make points, so the
// engine's registry stays bounded however many paths clients try. Give the
// middleware to Use, not Pre: middleware of Pre runs before echo routes
// the request, and counts every request as unmatched.
//
// # Faults
//
// While no plan is applied to e, the middleware costs a few nanoseconds
// and adds no allocation to what echo spends on any middleware. When a
// rule fires:
//
//   - latency waits before the next handler runs. hang waits until the
//     request's context is done, for at most its bound (see
//     [faults.DefaultHangLimit]); at the bound, or if the context ends
//     during either wait, the middleware returns a 503 *echo.HTTPError and
//     the next handler does not run. The kill switch
//     ([chaos.Engine.Disable]) ends every wait at once, and the handler
//     then runs normally.
//   - status returns echo.NewHTTPError(Code, Body), or with echo's text
//     for the code when the fault has no Body, without running the next
//     handler; echo's error handler writes it.
//   - error returns a *echo.HTTPError with the fault's Code, or 500, and
//     the injected error's text; so does badconn, which means nothing to
//     HTTP.
//   - panic panics with the injected error, as a bug in the handler
//     would, for echo's Recover middleware to turn into a 500.
//   - abort panics with [http.ErrAbortHandler], which echo's Recover
//     passes on and net/http answers by cutting the connection.
//   - corrupt runs the next handler and inverts every byte of its response
//     body (XOR 0xFF), so that nothing decodes it.
//
// The *echo.HTTPError of a status or error fault, and of a wait cut short,
// wraps the injected error ([echo.HTTPError.Internal]), so an error
// handler can tell it apart with errors.Is(err, faults.ErrInjected).
// Every response a fault wrote, delayed or corrupted carries the
// [chaoshttp.HeaderInjected] header. The request's labels, for rules that
// match labels or decide stickily, are "method" ([chaoshttp.LabelMethod])
// and those of [WithHeaderLabel]. Requests under [chaoshttp.AdminPrefix]
// and the prefixes of [WithExempt] are never fault points.
//
// The middleware is safe for concurrent use.
func Middleware(e *chaos.Engine, opts ...Option) echo.MiddlewareFunc {
	s := routepoint.NewServer(e, opts...)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r, accepted := s.Accept(c.Request())
			if r != c.Request() {
				c.SetRequest(r)
			}
			if !accepted && !s.Armed() {
				return next(c)
			}
			d, fired := s.Decide(c.Request(), c.Path())
			if !fired {
				return next(c)
			}
			return serveFault(c, next, d)
		}
	}
}

// serveFault carries out the fault d fired for the request of c.
func serveFault(c echo.Context, next echo.HandlerFunc, d chaos.Decision) error {
	value := routepoint.InjectedValue(d.Kind(), d.Point())
	resp := c.Response()
	resp.Header().Set(chaoshttp.HeaderInjected, value)
	switch f := d.Fault(); f.Kind {
	case faults.KindLatency, faults.KindHang:
		err := d.Inject(c.Request().Context())
		switch {
		case err == nil:
			return next(c)
		case errors.Is(err, faults.ErrInjected): // a hang reached its bound
			return echo.NewHTTPError(http.StatusServiceUnavailable, err.Error()).SetInternal(err)
		default:
			return echo.NewHTTPError(http.StatusServiceUnavailable,
				"chaosecho: request ended during injected "+d.Kind().String()+": "+err.Error()).SetInternal(d.Err())
		}
	case faults.KindStatus:
		he := echo.NewHTTPError(f.Code)
		if f.Body != "" {
			he.Message = f.Body
		}
		return he.SetInternal(d.Err())
	case faults.KindAbort:
		panic(http.ErrAbortHandler)
	case faults.KindPanic:
		panic(d.Err())
	case faults.KindCorrupt:
		w := resp.Writer
		resp.Writer = &corruptWriter{ResponseWriter: w}
		defer func() { resp.Writer = w }()
		return next(c)
	default: // error, and badconn, which HTTP has no use for
		return echo.NewHTTPError(routepoint.ErrorCode(f), d.Err().Error()).SetInternal(d.Err())
	}
}

// corruptWriter inverts every byte written through it.
type corruptWriter struct {
	http.ResponseWriter
}

// Write implements http.ResponseWriter.
func (w *corruptWriter) Write(p []byte) (int, error) {
	return w.ResponseWriter.Write(routepoint.Invert(nil, p))
}

// Flush implements http.Flusher when the wrapped writer does.
func (w *corruptWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *corruptWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
