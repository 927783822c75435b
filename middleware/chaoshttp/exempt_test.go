package chaoshttp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

const adminToken = "test-token-test-token-test-token"

// router builds a server with an application route, "POST /orders", and
// the admin handler of e mounted at prefix ("/debug/faultline" as its
// documentation shows, or another), with the middleware in place as a
// service would put it.
type router struct {
	name  string
	build func(e *chaos.Engine, h http.Handler, prefix string, opts ...chaoshttp.Option) http.Handler
}

var routers = []router{
	{"ServeMux", func(e *chaos.Engine, h http.Handler, prefix string, opts ...chaoshttp.Option) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /orders", ordered)
		mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
		return chaoshttp.Middleware(e, opts...)(mux)
	}},
	{"ServeMux, middleware on each route", func(e *chaos.Engine, h http.Handler, prefix string, opts ...chaoshttp.Option) http.Handler {
		mw := chaoshttp.Middleware(e, opts...)
		mux := http.NewServeMux()
		mux.Handle("POST /orders", mw(http.HandlerFunc(ordered)))
		mux.Handle(prefix+"/", mw(http.StripPrefix(prefix, h)))
		return mux
	}},
	{"chi", func(e *chaos.Engine, h http.Handler, prefix string, opts ...chaoshttp.Option) http.Handler {
		r := chi.NewRouter()
		r.Use(chaoshttp.Middleware(e, opts...))
		r.Post("/orders", ordered)
		r.Mount(prefix, http.StripPrefix(prefix, h))
		return r
	}},
}

func ordered(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ordered") }

// TestAdminIsNeverAFaultPoint applies plans that would answer every
// request with a fault, and checks that the admin handler behind the
// middleware still reads the state and throws the kill switch, on a
// ServeMux and under chi's Use, at the prefix its documentation uses and
// at another named with WithExempt.
func TestAdminIsNeverAFaultPoint(t *testing.T) {
	t.Parallel()
	plans := []string{
		`*=status(503)`,
		`"POST *"=status(503)`,
		`"GET (unmatched)"=status(503);"POST (unmatched)"=status(503);"* /*"=status(503)`,
		`*=error(boom)`,
		`*=abort`,
		`*=panic(oops)`,
		`*=hang(200ms)`,
		`*=delay(50ms)`,
		`*=corrupt`,
	}
	mounts := []struct {
		prefix string
		opts   []chaoshttp.Option
	}{
		{prefix: "/debug/faultline"}, // chaoshttp.AdminPrefix, exempt by default
		{prefix: "/ops/chaos", opts: []chaoshttp.Option{chaoshttp.WithExempt("/ops/chaos/")}},
	}
	for _, rt := range routers {
		for _, m := range mounts {
			for _, plan := range plans {
				t.Run(fmt.Sprintf("%s%s/%s", rt.name, m.prefix, plan), func(t *testing.T) {
					t.Parallel()
					e := chaostest.New(t)
					h := admin.New(e, admin.WithToken(adminToken))
					defer h.Close()
					srv := httptest.NewUnstartedServer(rt.build(e, h, m.prefix, m.opts...))
					srv.Config.ErrorLog = log.New(io.Discard, "", 0) // abort and panic log
					srv.Start()
					defer srv.Close()
					client := srv.Client()
					client.Timeout = 10 * time.Second
					// Not chaostest.Enable: rules naming only the admin's
					// routes are meant to see no request.
					if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
						t.Fatal(err)
					}

					// The plan reaches the application: it is in force.
					resp, err := client.Post(srv.URL+"/orders", "text/plain", strings.NewReader("x"))
					if err == nil {
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.Header.Get(chaoshttp.HeaderInjected) == "" {
							t.Fatalf("POST /orders: %s %q without a fault: the plan is not in force", resp.Status, body)
						}
					}

					base := srv.URL + m.prefix + "/"
					for _, call := range []struct{ method, path string }{
						{"GET", "api/status"},
						{"GET", "api/plan"},
						{"POST", "api/kill"},
					} {
						req, _ := http.NewRequest(call.method, base+call.path, nil)
						req.Header.Set("Authorization", "Bearer "+adminToken)
						resp, err := client.Do(req)
						if err != nil {
							t.Fatalf("%s %s: %v", call.method, call.path, err)
						}
						body, err := io.ReadAll(resp.Body)
						resp.Body.Close()
						if err != nil || resp.StatusCode != 200 || !json.Valid(body) {
							t.Fatalf("%s %s: %s %q (%v), want 200 and JSON", call.method, call.path, resp.Status, body, err)
						}
						if v := resp.Header.Get(chaoshttp.HeaderInjected); v != "" {
							t.Errorf("%s %s: %s %q", call.method, call.path, chaoshttp.HeaderInjected, v)
						}
					}
					if !e.Disabled() {
						t.Error("the kill switch is not thrown")
					}
					for _, p := range e.Stats().Points {
						if strings.Contains(p.Point, m.prefix) {
							t.Errorf("point %q: the admin route is a fault point", p.Point)
						}
					}
				})
			}
		}
	}
}

func TestWithExempt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefixes []string
		path     string
		want     bool // exempt
	}{
		{path: "/debug/faultline/api/kill", want: true},
		{path: "/debug/faultline/", want: true},
		{path: "/debug/faultline", want: true},
		{path: "/debug/faultline-other/x", want: false},
		{path: "/debug/faultlin", want: false},
		{path: "/debug", want: false},
		{path: "/orders", want: false},
		{prefixes: []string{"/ops/chaos/"}, path: "/ops/chaos", want: true},
		{prefixes: []string{"/ops/chaos/"}, path: "/ops/chaos/api/kill", want: true},
		{prefixes: []string{"/ops/chaos"}, path: "/ops/chaos/api/kill", want: true},
		{prefixes: []string{"/ops/chaos"}, path: "/ops/chaosx", want: false},
		{prefixes: []string{"/ops/chaos"}, path: "/debug/faultline/api/kill", want: true}, // AdminPrefix stays
		{prefixes: []string{"/healthz", "/readyz"}, path: "/readyz", want: true},
		{prefixes: []string{""}, path: "/orders", want: false},
		{prefixes: []string{"/"}, path: "/orders", want: true},
		{prefixes: []string{"/"}, path: "/", want: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.prefixes, tt.path), func(t *testing.T) {
			t.Parallel()
			e := chaostest.New(t)
			if err := e.Apply(chaos.MustParsePlan("*=status(503)")); err != nil {
				t.Fatal(err)
			}
			h := chaoshttp.Middleware(e, chaoshttp.WithExempt(tt.prefixes...))(http.NotFoundHandler())
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if got := rec.Code == http.StatusNotFound; got != tt.want {
				t.Errorf("exempt = %v (status %d), want %v", got, rec.Code, tt.want)
			}
		})
	}
}

func TestWithExemptPanicsOnRelativePrefix(t *testing.T) {
	t.Parallel()
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), `"ops/chaos"`) {
			t.Errorf("recovered %v, want a panic naming the prefix", v)
		}
	}()
	chaoshttp.WithExempt("ops/chaos")
}
