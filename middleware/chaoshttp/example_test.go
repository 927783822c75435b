package chaoshttp_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// users is the handler the examples serve.
var users = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "user %s", r.PathValue("id"))
})

// get serves GET target with h and prints the status, the injected fault
// if any, and the body.
func get(h http.Handler, target string, header ...string) {
	req := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	kind, _, _ := strings.Cut(rec.Header().Get(chaoshttp.HeaderInjected), ";")
	fmt.Printf("%d injected=%q body=%q\n", rec.Code, kind, strings.TrimSpace(rec.Body.String()))
}

func ExampleMiddleware() {
	e := chaos.New(chaos.WithSeed(1))
	mw := chaoshttp.Middleware(e)
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", mw(users))

	get(mux, "/users/42") // no plan: the handler answers

	// The first two requests get a 503; the handler does not run.
	if err := e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=2*status(503,"try later")`)); err != nil {
		fmt.Println(err)
	}
	get(mux, "/users/42")
	get(mux, "/users/43")
	get(mux, "/users/44")
	// Output:
	// 200 injected="" body="user 42"
	// 503 injected="status" body="try later"
	// 503 injected="status" body="try later"
	// 200 injected="" body="user 44"
}

// Wrapped around a ServeMux, the middleware still names points after the
// pattern a request matches, and counts what matches none at one point per
// method.
func ExampleMiddleware_aroundServeMux() {
	e := chaos.New(chaos.WithSeed(1))
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", users)
	h := chaoshttp.Middleware(e)(mux)

	if err := e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=error(boom,502);"GET (unmatched)"=status(410)`)); err != nil {
		fmt.Println(err)
	}
	get(h, "/users/42")
	get(h, "/no/such/page")
	// Output:
	// 502 injected="error" body="faultline: injected error at GET /users/{id}: boom"
	// 410 injected="status" body=""
}

// A sticky rule on a header label draws some tenants in, for every request
// they make, and leaves the others out.
func ExampleWithHeaderLabel() {
	e := chaos.New(chaos.WithSeed(8))
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", chaoshttp.Middleware(e, chaoshttp.WithHeaderLabel("X-Tenant", "tenant"))(users))

	if err := e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=50%status(503)[sticky=tenant]`)); err != nil {
		fmt.Println(err)
	}
	for _, tenant := range []string{"acme", "globex", "acme", "initech", "globex"} {
		fmt.Print(tenant, ": ")
		get(mux, "/users/1", "X-Tenant", tenant)
	}
	// Output:
	// acme: 200 injected="" body="user 1"
	// globex: 503 injected="status" body=""
	// acme: 200 injected="" body="user 1"
	// initech: 200 injected="" body="user 1"
	// globex: 503 injected="status" body=""
}

// Routers other than ServeMux name points themselves; the names must come
// from a bounded set.
func ExampleWithPointName() {
	e := chaos.New(chaos.WithSeed(1))
	h := chaoshttp.Middleware(e, chaoshttp.WithPointName(func(r *http.Request) string {
		if strings.HasPrefix(r.URL.Path, "/admin/") {
			return "admin"
		}
		return "" // the fallback point, "GET (unmatched)"
	}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))

	if err := e.Apply(chaos.MustParsePlan(`admin=status(403)`)); err != nil {
		fmt.Println(err)
	}
	get(h, "/admin/users")
	get(h, "/home")
	// Output:
	// 403 injected="status" body=""
	// 200 injected="" body="ok"
}

func ExampleTransport() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pong")
	}))
	defer srv.Close()

	e := chaos.New(chaos.WithSeed(1))
	client := &http.Client{Transport: chaoshttp.Transport(srv.Client().Transport, e)}
	call := func() {
		resp, err := client.Get(srv.URL)
		if err != nil {
			fmt.Println("error, injected:", errors.Is(err, faults.ErrInjected))
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		kind, _, _ := strings.Cut(resp.Header.Get(chaoshttp.HeaderInjected), ";")
		fmt.Printf("%d injected=%q body=%q\n", resp.StatusCode, kind, body)
	}

	call() // no plan: the server answers

	// Points are named after the host ("http.client 127.0.0.1:PORT"): the
	// first call fails, the second gets a 502 the server never sent.
	if err := e.Apply(chaos.MustParsePlan(`"http.client *"=1*error(refused);"http.client *"=1*status(502,"bad gateway")`)); err != nil {
		fmt.Println(err)
	}
	call()
	call()
	call()
	// Output:
	// 200 injected="" body="pong"
	// error, injected: true
	// 502 injected="status" body="bad gateway"
	// 200 injected="" body="pong"
}

// A middleware around a handler that ends in a ServeMux names points from
// the mux's patterns when given the mux.
func ExampleWithServeMux() {
	e := chaos.New(chaos.WithSeed(1))
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", users)
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r) // a logging middleware, say
	})
	h := chaoshttp.Middleware(e, chaoshttp.WithServeMux(mux))(logged)

	if err := e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=status(429)`)); err != nil {
		fmt.Println(err)
	}
	get(h, "/users/42")
	// Output:
	// 429 injected="status" body=""
}

// With WithRecoverPanics an injected panic answers 500 instead of
// unwinding the server's goroutine.
func ExampleWithRecoverPanics() {
	e := chaos.New(chaos.WithSeed(1))
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", chaoshttp.Middleware(e, chaoshttp.WithRecoverPanics())(users))

	if err := e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=panic(oops)`)); err != nil {
		fmt.Println(err)
	}
	get(mux, "/users/42")
	// Output:
	// 500 injected="panic" body="faultline: injected panic at GET /users/{id}: oops"
}

// A client that calls many hosts stops naming new points at the bound;
// the rest share "http.client (other)".
func ExampleWithMaxPoints() {
	e := chaos.New(chaos.WithSeed(1))
	base := roundTripper(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	ok := chaoshttp.Transport(base, e, chaoshttp.WithMaxPoints(2))
	for _, host := range []string{"a.example", "b.example", "c.example", "d.example"} {
		resp, err := ok.RoundTrip(httptest.NewRequest("GET", "http://"+host+"/", nil))
		if err != nil {
			fmt.Println(err)
			continue
		}
		resp.Body.Close()
	}
	for _, p := range e.Stats().Points {
		fmt.Println(p.Point)
	}
	// Output:
	// http.client (other)
	// http.client a.example
	// http.client b.example
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Under chi's Use, or around a ServeMux, the middleware sees every request,
// the admin handler's among them. A plan that answers 503 everywhere still
// leaves the admin handler, and its kill switch, in reach: requests under
// AdminPrefix, and under the prefixes of WithExempt, are never fault
// points.
func ExampleWithExempt() {
	e := chaos.New(chaos.WithSeed(1))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", users)
	mux.Handle("/debug/faultline/", ok) // admin.New(e, ...) in a service
	mux.Handle("GET /healthz", ok)
	h := chaoshttp.Middleware(e, chaoshttp.WithExempt("/healthz"))(mux)

	if err := e.Apply(chaos.MustParsePlan(`*=status(503)`)); err != nil {
		fmt.Println(err)
	}
	get(h, "/users/42")
	get(h, "/debug/faultline/api/status")
	get(h, "/healthz")
	// Output:
	// 503 injected="status" body=""
	// 200 injected="" body="ok"
	// 200 injected="" body="ok"
}
