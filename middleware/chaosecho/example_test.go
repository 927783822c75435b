package chaosecho_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosecho"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

func ExampleMiddleware() {
	e := chaos.New(chaos.WithSeed(1))
	srv := echo.New()
	srv.Use(middleware.Recover())
	srv.Use(chaosecho.Middleware(e))
	srv.GET("/orders/:id", func(c echo.Context) error {
		return c.String(http.StatusOK, "order "+c.Param("id"))
	})

	get := func(target string) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		kind, _, _ := strings.Cut(rec.Header().Get(chaoshttp.HeaderInjected), ";")
		fmt.Printf("%s: %d injected=%q body=%s\n", target, rec.Code, kind, strings.TrimSpace(rec.Body.String()))
	}

	// Plans name echo's route paths; faults go through echo's error handler.
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=1*status(503,"try later");"GET (unmatched)"=status(410)`)); err != nil {
		fmt.Println(err)
	}
	get("/orders/42")
	get("/orders/43")
	get("/no/such/page")
	// Output:
	// /orders/42: 503 injected="status" body={"message":"try later"}
	// /orders/43: 200 injected="" body=order 43
	// /no/such/page: 410 injected="status" body={"message":"Gone"}
}

func ExampleWithHeaderLabel() {
	e := chaos.New(chaos.WithSeed(1))
	srv := echo.New()
	srv.Use(chaosecho.Middleware(e, chaosecho.WithHeaderLabel("X-Tenant", "tenant")))
	srv.GET("/orders/:id", func(c echo.Context) error { return c.String(http.StatusOK, "order") })

	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=status(503)[label.tenant=acme]`)); err != nil {
		fmt.Println(err)
	}
	for _, tenant := range []string{"acme", "globex"} {
		req := httptest.NewRequest("GET", "/orders/1", nil)
		req.Header.Set("X-Tenant", tenant)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		fmt.Println(tenant, rec.Code)
	}
	// Output:
	// acme 503
	// globex 200
}

func ExampleWithExempt() {
	e := chaos.New(chaos.WithSeed(1))
	srv := echo.New()
	srv.Use(chaosecho.Middleware(e, chaosecho.WithExempt("/healthz")))
	srv.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	srv.GET("/orders/:id", func(c echo.Context) error { return c.String(http.StatusOK, "order") })

	if err := e.Apply(chaos.MustParsePlan(`*=status(503)`)); err != nil {
		fmt.Println(err)
	}
	for _, target := range []string{"/healthz", "/orders/1"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(target, rec.Code)
	}
	// Output:
	// /healthz 200
	// /orders/1 503
}

func ExampleWithMaxPoints() {
	e := chaos.New(chaos.WithSeed(1))
	srv := echo.New()
	// Only the first route path seen gets points of its own.
	srv.Use(chaosecho.Middleware(e, chaosecho.WithMaxPoints(1)))
	srv.GET("/a", func(c echo.Context) error { return c.String(http.StatusOK, "a") })
	srv.GET("/b", func(c echo.Context) error { return c.String(http.StatusOK, "b") })

	if err := e.Apply(chaos.MustParsePlan(`"GET (unmatched)"=status(410)`)); err != nil {
		fmt.Println(err)
	}
	for _, target := range []string{"/a", "/b"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(target, rec.Code)
	}
	// Output:
	// /a 200
	// /b 410
}
