package chaosgin_test

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

	"github.com/gin-gonic/gin"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgin"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
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

// TestRouteFires proves that a plan on gin's route path fires for a
// request of that route and for no other, through a real server, with the
// middleware given to Engine.Use and to a group's Use.
func TestRouteFires(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method, path, point, body string
	}{
		{"GET", "/orders/42", "GET /orders/:id", "order"},
		{"POST", "/orders", "POST /orders", "create"},
		{"PUT", "/api/users/7", "PUT /api/users/:id", "user"},
		{"GET", "/files/a/b.txt", "GET /files/*path", "file"},
	}
	for _, c := range cases {
		t.Run(c.point, func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			srv := httptest.NewServer(newRouter(chaosgin.Middleware(e)))
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
		r := gin.New()
		r.Group("/api", chaosgin.Middleware(e)).GET("/users/:id", reply("user"))
		chaostest.Enable(t, e, `"GET /api/users/:id"=status(418)`)
		if rec := do(r, "GET", "/api/users/1"); rec.Code != 418 {
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
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=status(503)`)); err != nil {
		t.Fatal(err)
	}
	before := len(e.Stats().Points)
	rng := rand.New(rand.NewPCG(1, 2))
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW", "PROPFIND"}
	for i := range 1000 {
		do(r, methods[rng.IntN(len(methods))], fmt.Sprintf("/nope/%d/%x", i, rng.Uint64()))
	}
	if made := len(e.Stats().Points) - before; made > 10 {
		t.Errorf("1,000 unmatched paths made %d points, want at most 10", made)
	}
	for _, ps := range e.Stats().Points {
		if strings.Contains(ps.Point, "/nope/") {
			t.Errorf("point named after a path: %q", ps.Point)
		}
	}
	if err := e.Apply(chaos.MustParsePlan(`"GET (unmatched)"=status(410)`)); err != nil {
		t.Fatal(err)
	}
	if rec := do(r, "GET", "/no/such/page"); rec.Code != 410 {
		t.Errorf(`"GET (unmatched)" plan: %d, want 410`, rec.Code)
	}
}

// TestMaxPoints proves that route paths beyond WithMaxPoints count at the
// fallback point.
func TestMaxPoints(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosgin.Middleware(e, chaosgin.WithMaxPoints(1)))
	if err := e.Apply(chaos.MustParsePlan(`"GET (unmatched)"=status(410)`)); err != nil {
		t.Fatal(err)
	}
	if rec := do(r, "GET", "/orders/1"); rec.Code != 200 {
		t.Errorf("first route: %d, want 200 at its own point", rec.Code)
	}
	if rec := do(r, "GET", "/health"); rec.Code != 410 {
		t.Errorf("route beyond the bound: %d, want 410 at the fallback point", rec.Code)
	}
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
	if code, body := get(t, srv, "GET", "/orders/1"); code != http.StatusInternalServerError || body != "" {
		t.Errorf("panic fault under gin.Recovery: %d %q, want gin's empty 500", code, body)
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
		{`corrupt`, 200, string(invert("order")), false},
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
			if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=` + tt.fault)); err != nil {
				t.Fatal(err)
			}
			rec := do(r, "GET", "/orders/1")
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
		r := newRouter(chaosgin.Middleware(e))
		if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=delay(2s);"POST /orders"=hang(5s)`)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rec := do(r, "GET", "/orders/1")
		if d := time.Since(start); d != 2*time.Second || rec.Code != 200 || rec.Body.String() != "order" {
			t.Errorf("latency: %d %q after %v, want 200 \"order\" after 2s", rec.Code, rec.Body.String(), d)
		}
		start = time.Now()
		rec = do(r, "POST", "/orders")
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
	r := newRouter(chaosgin.Middleware(e, chaosgin.WithExempt("/health")))
	if err := e.Apply(chaos.MustParsePlan(`*=status(503)`)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/debug/faultline/kill", "/health"} {
		if rec := do(r, "GET", p); rec.Code != 200 {
			t.Errorf("exempt %s: %d, want 200", p, rec.Code)
		}
	}
	if rec := do(r, "GET", "/orders/1"); rec.Code != 503 {
		t.Errorf("before the kill switch: %d, want 503", rec.Code)
	}
	e.Disable("test")
	if rec := do(r, "GET", "/orders/1"); rec.Code != 200 {
		t.Errorf("after the kill switch: %d, want 200", rec.Code)
	}
}

// TestHeaderLabel proves that a rule matching a header label fires for
// that tenant only.
func TestHeaderLabel(t *testing.T) {
	t.Parallel()
	e := chaos.New(chaos.WithSeed(1))
	r := newRouter(chaosgin.Middleware(e, chaosgin.WithHeaderLabel("X-Tenant", "tenant")))
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=status(503)[label.tenant=acme]`)); err != nil {
		t.Fatal(err)
	}
	for tenant, want := range map[string]int{"acme": 503, "other": 200} {
		req := httptest.NewRequest("GET", "/orders/1", nil)
		req.Header.Set("X-Tenant", tenant)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("tenant %s: %d, want %d", tenant, rec.Code, want)
		}
	}
}

// TestDisabledAllocs proves that, with no plan applied, the middleware
// adds no allocation to a request served by gin.
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
	if b, w := measure(newRouter()), measure(newRouter(chaosgin.Middleware(e))); w > b {
		t.Errorf("disabled middleware: %v allocs per request, bare gin %v", w, b)
	}
}
