package chaosecho_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosecho"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
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

// do serves method target with h and returns the recorder.
func do(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

// get sends method path to srv and returns the status and the body.
func get(t *testing.T, srv *httptest.Server, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestRouteFires proves that a plan on echo's route path fires for a
// request of that route and for no other, through a real server, with the
// middleware given to Echo.Use and to a group's Use.
func TestRouteFires(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method, path, point, body string
	}{
		{"GET", "/orders/42", "GET /orders/:id", "order"},
		{"POST", "/orders", "POST /orders", "create"},
		{"PUT", "/api/users/7", "PUT /api/users/:id", "user"},
		{"GET", "/files/a/b.txt", "GET /files/*", "file"},
	}
	for _, c := range cases {
		t.Run(c.point, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			srv := httptest.NewServer(newServer(chaosecho.Middleware(e)))
			defer srv.Close()
			chaostest.Enable(t, e, fmt.Sprintf("%q=status(418)", c.point))
			if code, body := get(t, srv, c.method, c.path); code != 418 {
				t.Errorf("%s %s: %d %q, want 418 from the point %q", c.method, c.path, code, body, c.point)
			}
			for _, o := range cases {
				if o == c {
					continue
				}
				if code, body := get(t, srv, o.method, o.path); code != 200 || body != o.body {
					t.Errorf("%s %s with a plan on %q: %d %q, want 200 %q", o.method, o.path, c.point, code, body, o.body)
				}
			}
		})
	}
	t.Run("group Use", func(t *testing.T) {
		t.Parallel()
		e := chaostest.New(t)
		srv := echo.New()
		srv.Group("/api", chaosecho.Middleware(e)).GET("/users/:id", reply("user"))
		chaostest.Enable(t, e, `"GET /api/users/:id"=status(418)`)
		if rec := do(srv, "GET", "/api/users/1"); rec.Code != 418 {
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
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=status(503)`)); err != nil {
		t.Fatal(err)
	}
	before := len(e.Stats().Points)
	rng := rand.New(rand.NewPCG(1, 2))
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW", "PROPFIND"}
	for i := range 1000 {
		do(srv, methods[rng.IntN(len(methods))], fmt.Sprintf("/nope/%d/%x", i, rng.Uint64()))
	}
	if made := len(e.Stats().Points) - before; made > 10 {
		t.Errorf("1,000 unmatched paths made %d points, want at most 10", made)
	}
	for _, ps := range e.Stats().Points {
		if strings.Contains(ps.Point, "/nope/") {
			t.Errorf("point named after a path: %q", ps.Point)
		}
	}
	// Unmatched requests can be targeted too.
	if err := e.Apply(chaos.MustParsePlan(`"GET (unmatched)"=status(410)`)); err != nil {
		t.Fatal(err)
	}
	if rec := do(srv, "GET", "/no/such/page"); rec.Code != 410 {
		t.Errorf(`"GET (unmatched)" plan: %d, want 410`, rec.Code)
	}
}

// TestMaxPoints proves that route paths beyond WithMaxPoints count at the
// fallback point.
func TestMaxPoints(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	srv := newServer(chaosecho.Middleware(e, chaosecho.WithMaxPoints(1)))
	if err := e.Apply(chaos.MustParsePlan(`"GET (unmatched)"=status(410)`)); err != nil {
		t.Fatal(err)
	}
	if rec := do(srv, "GET", "/orders/1"); rec.Code != 200 {
		t.Errorf("first route: %d, want 200 at its own point", rec.Code)
	}
	if rec := do(srv, "GET", "/health"); rec.Code != 410 {
		t.Errorf("route beyond the bound: %d, want 410 at the fallback point", rec.Code)
	}
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
	code, body := get(t, srv, "GET", "/orders/1")
	if code != http.StatusInternalServerError || !strings.Contains(body, "Internal Server Error") {
		t.Errorf("panic fault under Recover: %d %q, want echo's 500", code, body)
	}
	resp, err := srv.Client().Post(srv.URL+"/orders", "text/plain", nil)
	if err == nil {
		resp.Body.Close()
		t.Errorf("abort fault: got %s, want a cut connection", resp.Status)
	}
	if code, body := get(t, srv, "GET", "/health"); code != 200 || body != "health" {
		t.Errorf("after the faults: %d %q", code, body)
	}
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
		{`corrupt`, 200, string(invert("order"))},
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
			if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=` + tt.fault)); err != nil {
				t.Fatal(err)
			}
			rec := do(srv, "GET", "/orders/1")
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

// invert returns s with every byte inverted.
func invert(s string) []byte {
	b := []byte(s)
	for i := range b {
		b[i] ^= 0xFF
	}
	return b
}

// TestLatency proves that a latency fault delays the handler by its
// duration, and a hang that reaches its bound answers 503, in fake time.
func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		srv := newServer(chaosecho.Middleware(e))
		if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=delay(2s);"POST /orders"=hang(5s)`)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rec := do(srv, "GET", "/orders/1")
		if d := time.Since(start); d != 2*time.Second || rec.Code != 200 || rec.Body.String() != "order" {
			t.Errorf("latency: %d %q after %v, want 200 \"order\" after 2s", rec.Code, rec.Body.String(), d)
		}
		start = time.Now()
		rec = do(srv, "POST", "/orders")
		if d := time.Since(start); d != 5*time.Second || rec.Code != 503 {
			t.Errorf("hang: %d after %v, want 503 after 5s", rec.Code, d)
		}
	})
}

// TestKillSwitchAndExempt proves that the admin prefix and WithExempt
// prefixes are never fault points, and that the kill switch stops faults.
func TestKillSwitchAndExempt(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	srv := newServer(chaosecho.Middleware(e, chaosecho.WithExempt("/health")))
	if err := e.Apply(chaos.MustParsePlan(`*=status(503)`)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/debug/faultline/kill", "/health"} {
		if rec := do(srv, "GET", p); rec.Code != 200 {
			t.Errorf("exempt %s: %d, want 200", p, rec.Code)
		}
	}
	if rec := do(srv, "GET", "/orders/1"); rec.Code != 503 {
		t.Errorf("before the kill switch: %d, want 503", rec.Code)
	}
	e.Disable("test")
	if rec := do(srv, "GET", "/orders/1"); rec.Code != 200 {
		t.Errorf("after the kill switch: %d, want 200", rec.Code)
	}
}

// TestHeaderLabel proves that a rule matching a header label fires for
// that tenant only.
func TestHeaderLabel(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	srv := newServer(chaosecho.Middleware(e, chaosecho.WithHeaderLabel("X-Tenant", "tenant")))
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=status(503)[label.tenant=acme]`)); err != nil {
		t.Fatal(err)
	}
	for tenant, want := range map[string]int{"acme": 503, "other": 200} {
		req := httptest.NewRequest("GET", "/orders/1", nil)
		req.Header.Set("X-Tenant", tenant)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("tenant %s: %d, want %d", tenant, rec.Code, want)
		}
	}
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
	measure := func(h http.Handler) float64 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("PUT", "/api/users/7", nil)
		return testing.AllocsPerRun(200, func() {
			rec.Body.Reset()
			h.ServeHTTP(rec, req)
		})
	}
	if b, w := measure(newServer(noop)), measure(newServer(chaosecho.Middleware(e))); w > b {
		t.Errorf("disabled middleware: %v allocs per request, echo with a no-op middleware %v", w, b)
	}
}
