package chaosgin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosgin"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

func ExampleMiddleware() {
	gin.SetMode(gin.ReleaseMode)
	e := chaos.New(chaos.WithSeed(1))
	r := gin.New()
	r.Use(gin.Recovery())
	r.Use(chaosgin.Middleware(e))
	r.GET("/orders/:id", func(c *gin.Context) { c.String(http.StatusOK, "order "+c.Param("id")) })

	get := func(target string) {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		kind, _, _ := strings.Cut(rec.Header().Get(chaoshttp.HeaderInjected), ";")
		fmt.Printf("%s: %d injected=%q body=%q\n", target, rec.Code, kind, rec.Body.String())
	}

	// Plans name gin's route paths.
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=1*status(503,"try later");"GET (unmatched)"=status(410)`)); err != nil {
		fmt.Println(err)
	}
	get("/orders/42")
	get("/orders/43")
	get("/no/such/page")
	// Output:
	// /orders/42: 503 injected="status" body="try later"
	// /orders/43: 200 injected="" body="order 43"
	// /no/such/page: 410 injected="status" body=""
}

func ExampleWithHeaderLabel() {
	gin.SetMode(gin.ReleaseMode)
	e := chaos.New(chaos.WithSeed(1))
	r := gin.New()
	r.Use(chaosgin.Middleware(e, chaosgin.WithHeaderLabel("X-Tenant", "tenant")))
	r.GET("/orders/:id", func(c *gin.Context) { c.String(http.StatusOK, "order") })

	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=status(503)[label.tenant=acme]`)); err != nil {
		fmt.Println(err)
	}
	for _, tenant := range []string{"acme", "globex"} {
		req := httptest.NewRequest("GET", "/orders/1", nil)
		req.Header.Set("X-Tenant", tenant)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(tenant, rec.Code)
	}
	// Output:
	// acme 503
	// globex 200
}

func ExampleWithExempt() {
	gin.SetMode(gin.ReleaseMode)
	e := chaos.New(chaos.WithSeed(1))
	r := gin.New()
	r.Use(chaosgin.Middleware(e, chaosgin.WithExempt("/healthz")))
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/orders/:id", func(c *gin.Context) { c.String(http.StatusOK, "order") })

	if err := e.Apply(chaos.MustParsePlan(`*=status(503)`)); err != nil {
		fmt.Println(err)
	}
	for _, target := range []string{"/healthz", "/orders/1"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(target, rec.Code)
	}
	// Output:
	// /healthz 200
	// /orders/1 503
}

func ExampleWithMaxPoints() {
	gin.SetMode(gin.ReleaseMode)
	e := chaos.New(chaos.WithSeed(1))
	r := gin.New()
	// Only the first route path seen gets points of its own.
	r.Use(chaosgin.Middleware(e, chaosgin.WithMaxPoints(1)))
	r.GET("/a", func(c *gin.Context) { c.String(http.StatusOK, "a") })
	r.GET("/b", func(c *gin.Context) { c.String(http.StatusOK, "b") })

	if err := e.Apply(chaos.MustParsePlan(`"GET (unmatched)"=status(410)`)); err != nil {
		fmt.Println(err)
	}
	for _, target := range []string{"/a", "/b"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(target, rec.Code)
	}
	// Output:
	// /a 200
	// /b 410
}
