package chaosecho_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosecho"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/internal/routertest"
)

// reply answers with its own name, so a test sees which handler ran.
func reply(name string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.String(http.StatusOK, name) }
}

// newServer returns an echo server with the routes the tests use, whose
// middleware are mws, in order, and whose logger is quiet.
func newServer(mws ...echo.MiddlewareFunc) *echo.Echo {
	srv := echo.New()
	srv.Logger.SetOutput(io.Discard)
	srv.Use(mws...)
	srv.GET("/orders/:id", reply("order"))
	srv.POST("/orders", reply("create"))
	api := srv.Group("/api")
	api.PUT("/users/:id", reply("user"))
	srv.GET("/files/*", reply("file"))
	srv.GET("/health", reply("health"))
	srv.GET("/debug/faultline/*", reply("admin"))
	return srv
}

// TestRouteFires proves that a plan on echo's route path fires for a
// request of that route and for no other, through a real server, with the
// middleware given to Echo.Use and to a group's Use.
func TestRouteFires(t *testing.T) {
	t.Parallel()
	build := func(e *chaos.Engine) http.Handler { return newServer(chaosecho.Middleware(e)) }
	routes := []routertest.Route{
		{Method: "GET", Path: "/orders/42", Point: "GET /orders/:id", Body: "order"},
		{Method: "POST", Path: "/orders", Point: "POST /orders", Body: "create"},
		{Method: "PUT", Path: "/api/users/7", Point: "PUT /api/users/:id", Body: "user"},
		{Method: "GET", Path: "/files/a/b.txt", Point: "GET /files/*", Body: "file"},
	}
	routertest.RouteFires(t, build, routes)
	t.Run("directive", func(t *testing.T) {
		t.Parallel()
		routertest.DirectiveFires(t, build, routes)
	})
	t.Run("group Use", func(t *testing.T) {
		t.Parallel()
		e := chaostest.New(t)
		srv := echo.New()
		srv.Group("/api", chaosecho.Middleware(e)).GET("/users/:id", reply("user"))
		chaostest.Enable(t, e, `"GET /api/users/:id"=status(418)`)
		if rec := routertest.Do(srv, "GET", "/api/users/1"); rec.Code != 418 {
			t.Errorf("group middleware: %d, want 418", rec.Code)
		}
	})
}

// TestUnmatchedBounded proves that 1,000 random paths that match no route,
// with random methods, make at most one point per method word.
func TestUnmatchedBounded(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	srv := newServer(chaosecho.Middleware(e))
	routertest.UnmatchedBounded(t, e, srv, `"GET /orders/:id"=status(503)`)
	// Unmatched requests can be targeted too.
	routertest.UnmatchedTargeted(t, e, srv)
}

// TestMaxPoints proves that route paths beyond WithMaxPoints count at the
// fallback point.
func TestMaxPoints(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	srv := newServer(chaosecho.Middleware(e, chaosecho.WithMaxPoints(1)))
	routertest.MaxPoints(t, e, srv)
}

// TestRecoverPanic proves that echo's Recover middleware turns an injected
// panic into its usual 500, and that an injected abort still cuts the
// connection, as Recover lets http.ErrAbortHandler through.
func TestRecoverPanic(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	srv := httptest.NewUnstartedServer(newServer(middleware.Recover(), chaosecho.Middleware(e)))
	srv.Config.ErrorLog = discardLog()
	srv.Start()
	defer srv.Close()

	chaostest.Enable(t, e, `"GET /orders/:id"=panic(boom);"POST /orders"=abort`)
	code, body := routertest.Get(t, srv, "GET", "/orders/1")
	if code != http.StatusInternalServerError || !strings.Contains(body, "Internal Server Error") {
		t.Errorf("panic fault under Recover: %d %q, want echo's 500", code, body)
	}
	routertest.AbortCuts(t, srv)
	routertest.StillServes(t, srv, "the faults")
}

// TestFaults proves that each fault goes through echo's own error path:
// status and error faults become *echo.HTTPError values that wrap the
// injected error and that echo's error handler writes, with the injected
// header; corrupt damages the body.
func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault    string
		wantCode int
		wantBody string
	}{
		{`status(503,"later")`, 503, `{"message":"later"}`},
		{`status(429)`, 429, `{"message":"Too Many Requests"}`},
		{`error(nope,502)`, 502, `{"message":"faultline: injected error at GET /orders/:id: nope"}`},
		{`error(nope)`, 500, `{"message":"faultline: injected error at GET /orders/:id: nope"}`},
		{`badconn`, 500, ``},
		{`corrupt`, 200, string(routertest.Invert("order"))},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			e := chaos.New(chaos.WithSeed(1))
			var seen error
			srv := newServer(chaosecho.Middleware(e))
			srv.HTTPErrorHandler = func(err error, c echo.Context) {
				seen = err
				srv.DefaultHTTPErrorHandler(err, c)
			}
			routertest.Apply(t, e, `"GET /orders/:id"=`+tt.fault)
			rec := routertest.Do(srv, "GET", "/orders/1")
			if rec.Code != tt.wantCode || tt.wantBody != "" && strings.TrimSpace(rec.Body.String()) != tt.wantBody {
				t.Errorf("%d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
			kind, _, _ := strings.Cut(tt.fault, "(")
			if got, want := rec.Header().Get(chaoshttp.HeaderInjected), kind+`; point="GET /orders/:id"`; got != want {
				t.Errorf("%s = %q, want %q", chaoshttp.HeaderInjected, got, want)
			}
			if tt.wantCode != 200 {
				var he *echo.HTTPError
				if !errors.As(seen, &he) || !errors.Is(seen, faults.ErrInjected) {
					t.Errorf("error handler got %v, want an *echo.HTTPError wrapping faults.ErrInjected", seen)
				}
			}
		})
	}
}

// TestLatency proves that a latency fault delays the handler by its
// duration, and a hang that reaches its bound answers 503, in fake time.
func TestLatency(t *testing.T) {
	routertest.Latency(t, func(e *chaos.Engine) http.Handler { return newServer(chaosecho.Middleware(e)) }, "GET /orders/:id")
}

// TestKillSwitchAndExempt proves that the admin prefix and WithExempt
// prefixes are never fault points, and that the kill switch stops faults.
func TestKillSwitchAndExempt(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	srv := newServer(chaosecho.Middleware(e, chaosecho.WithExempt("/health")))
	routertest.Apply(t, e, `*=status(503)`)
	routertest.KillSwitchAndExempt(t, e, srv, "/debug/faultline/kill", "/health")
}

// TestHeaderLabel proves that a rule matching a header label fires for
// that tenant only.
func TestHeaderLabel(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	srv := newServer(chaosecho.Middleware(e, chaosecho.WithHeaderLabel("X-Tenant", "tenant")))
	routertest.HeaderLabel(t, e, srv, "GET /orders/:id")
}

// noop is a middleware that does nothing: what echo itself costs per
// middleware, as it chains middleware anew for each request.
func noop(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error { return next(c) }
}

// TestDisabledAllocs proves that, with no plan applied, the middleware
// allocates no more than a middleware that does nothing.
func TestDisabledAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not exact under the race detector (sync.Pool drops items at random)")
	}
	e := chaos.New(chaos.WithSeed(1))
	measure := func(h http.Handler) float64 { return routertest.Allocs(h, "PUT", "/api/users/7") }
	if b, w := measure(newServer(noop)), measure(newServer(chaosecho.Middleware(e))); w > b {
		t.Errorf("disabled middleware: %v allocs per request, echo with a no-op middleware %v", w, b)
	}
}
