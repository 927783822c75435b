package chaosgin_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgin"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/internal/routertest"
)

// reply answers with its own name, so a test sees which handler ran.
func reply(name string) gin.HandlerFunc {
	return func(c *gin.Context) { c.String(http.StatusOK, name) }
}

// newRouter returns a gin engine with the routes the tests use, whose
// middleware are mws, in order.
func newRouter(mws ...gin.HandlerFunc) *gin.Engine {
	r := gin.New()
	r.Use(mws...)
	r.GET("/orders/:id", reply("order"))
	r.POST("/orders", reply("create"))
	api := r.Group("/api")
	api.PUT("/users/:id", reply("user"))
	r.GET("/files/*path", reply("file"))
	r.GET("/health", reply("health"))
	r.GET("/debug/faultline/*rest", reply("admin"))
	return r
}

// TestRouteFires proves that a plan on gin's route path fires for a
// request of that route and for no other, through a real server, with the
// middleware given to Engine.Use and to a group's Use.
func TestRouteFires(t *testing.T) {
	t.Parallel()
	build := func(e *chaos.Engine) http.Handler { return newRouter(chaosgin.Middleware(e)) }
	routes := []routertest.Route{
		{Method: "GET", Path: "/orders/42", Point: "GET /orders/:id", Body: "order"},
		{Method: "POST", Path: "/orders", Point: "POST /orders", Body: "create"},
		{Method: "PUT", Path: "/api/users/7", Point: "PUT /api/users/:id", Body: "user"},
		{Method: "GET", Path: "/files/a/b.txt", Point: "GET /files/*path", Body: "file"},
	}
	routertest.RouteFires(t, build, routes)
	t.Run("directive", func(t *testing.T) {
		t.Parallel()
		routertest.DirectiveFires(t, build, routes)
	})
	t.Run("group Use", func(t *testing.T) {
		t.Parallel()
		e := chaostest.New(t)
		r := gin.New()
		r.Group("/api", chaosgin.Middleware(e)).GET("/users/:id", reply("user"))
		chaostest.Enable(t, e, `"GET /api/users/:id"=status(418)`)
		if rec := routertest.Do(r, "GET", "/api/users/1"); rec.Code != 418 {
			t.Errorf("group middleware: %d, want 418", rec.Code)
		}
	})
}

// TestUnmatchedBounded proves that 1,000 random paths that match no route,
// with random methods, make at most one point per method word, and that
// the unmatched point can be targeted.
func TestUnmatchedBounded(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosgin.Middleware(e))
	r.HandleMethodNotAllowed = true
	routertest.UnmatchedBounded(t, e, r, `"GET /orders/:id"=status(503)`)
	routertest.UnmatchedTargeted(t, e, r)
}

// TestMaxPoints proves that route paths beyond WithMaxPoints count at the
// fallback point.
func TestMaxPoints(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosgin.Middleware(e, chaosgin.WithMaxPoints(1)))
	routertest.MaxPoints(t, e, r)
}

// TestRecoveryPanic proves that gin.Recovery turns an injected panic into
// its usual 500, and that an injected abort cuts the connection of a real
// server under gin.Recovery too.
func TestRecoveryPanic(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	srv := httptest.NewServer(newRouter(gin.Recovery(), chaosgin.Middleware(e)))
	defer srv.Close()

	chaostest.Enable(t, e, `"GET /orders/:id"=panic(boom);"POST /orders"=abort`)
	if code, body := routertest.Get(t, srv, "GET", "/orders/1"); code != http.StatusInternalServerError || body != "" {
		t.Errorf("panic fault under gin.Recovery: %d %q, want gin's empty 500", code, body)
	}
	routertest.AbortCuts(t, srv)
	routertest.StillServes(t, srv, "the faults")
}

// TestFaults proves that each fault goes through gin's own paths: status
// and error faults abort the chain with their code, the error one adding
// the injected error to the context; corrupt damages the body; each
// response carries the injected header.
func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault    string
		wantCode int
		wantBody string
		wantErr  bool // the injected error is in c.Errors
	}{
		{`status(503,"later")`, 503, "later", false},
		{`status(429)`, 429, "", false},
		{`error(nope,502)`, 502, "faultline: injected error at GET /orders/:id: nope", true},
		{`error(nope)`, 500, "faultline: injected error at GET /orders/:id: nope", true},
		{`badconn`, 500, "faultline: injected badconn at GET /orders/:id", true},
		{`corrupt`, 200, string(routertest.Invert("order")), false},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			e := chaos.New(chaos.WithSeed(1))
			var errs []*gin.Error
			probe := func(c *gin.Context) {
				c.Next()
				errs = c.Errors
			}
			r := newRouter(probe, chaosgin.Middleware(e))
			routertest.Apply(t, e, `"GET /orders/:id"=`+tt.fault)
			rec := routertest.Do(r, "GET", "/orders/1")
			if rec.Code != tt.wantCode || !strings.HasPrefix(rec.Body.String(), tt.wantBody) {
				t.Errorf("%d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
			kind, _, _ := strings.Cut(tt.fault, "(")
			if got, want := rec.Header().Get(chaoshttp.HeaderInjected), kind+`; point="GET /orders/:id"`; got != want {
				t.Errorf("%s = %q, want %q", chaoshttp.HeaderInjected, got, want)
			}
			gotErr := len(errs) == 1 && errors.Is(errs[0], faults.ErrInjected)
			if gotErr != tt.wantErr {
				t.Errorf("c.Errors = %v, want the injected error: %v", errs, tt.wantErr)
			}
		})
	}
}

// TestLatency proves that a latency fault delays the handler by its
// duration, and a hang that reaches its bound answers 503, in fake time.
func TestLatency(t *testing.T) {
	routertest.Latency(t, func(e *chaos.Engine) http.Handler { return newRouter(chaosgin.Middleware(e)) }, "GET /orders/:id")
}

// TestKillSwitchAndExempt proves that the admin prefix and WithExempt
// prefixes are never fault points, and that the kill switch stops faults.
func TestKillSwitchAndExempt(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosgin.Middleware(e, chaosgin.WithExempt("/health")))
	routertest.Apply(t, e, `*=status(503)`)
	routertest.KillSwitchAndExempt(t, e, r, "/debug/faultline/kill", "/health")
}

// TestHeaderLabel proves that a rule matching a header label fires for
// that tenant only.
func TestHeaderLabel(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosgin.Middleware(e, chaosgin.WithHeaderLabel("X-Tenant", "tenant")))
	routertest.HeaderLabel(t, e, r, "GET /orders/:id")
}

// TestDisabledAllocs proves that, with no plan applied, the middleware
// adds no allocation to a request served by gin.
func TestDisabledAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not exact under the race detector (sync.Pool drops items at random)")
	}
	e := chaos.New(chaos.WithSeed(1))
	measure := func(h http.Handler) float64 { return routertest.Allocs(h, "PUT", "/api/users/7") }
	if b, w := measure(newRouter()), measure(newRouter(chaosgin.Middleware(e))); w > b {
		t.Errorf("disabled middleware: %v allocs per request, bare gin %v", w, b)
	}
}
