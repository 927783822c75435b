package chaosfx_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"go.uber.org/fx"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	"github.com/faultline-go/faultline/middleware/chaosfx"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// An application takes its plan from a file, and wraps its handler in the
// middleware the module provides. Writing the file switches the fault on.
func ExampleModule() {
	dir, err := os.MkdirTemp("", "chaosfx")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	planFile := filepath.Join(dir, "plan.txt")
	if err := os.WriteFile(planFile, []byte(`"GET /quote"=status(503)`), 0o600); err != nil {
		fmt.Println(err)
		return
	}

	applied := make(chan struct{}, 1)
	mux := http.NewServeMux()
	app := fx.New(
		fx.NopLogger,
		chaosfx.Module,
		fx.Supply(chaosfx.Config{
			Seed:    1,
			Sources: []source.Source{source.File(planFile)},
			RunnerOptions: []source.RunnerOption{source.WithOnUpdate(func(s source.RunnerStatus) {
				if s.Applied > 0 {
					select {
					case applied <- struct{}{}:
					default:
					}
				}
			})},
		}),
		fx.Invoke(func(mw chaosfx.Middleware) {
			mux.Handle("GET /quote", mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				io.WriteString(w, "42")
			})))
		}),
	)
	if err := app.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(context.Background())

	<-applied // the file source read the plan
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/quote", nil))
	fmt.Println(rec.Code, rec.Header().Get(chaoshttp.HeaderInjected))
	// Output:
	// 503 status; point="GET /quote"
}

// The module provides the middleware under its own type, for handlers the
// application wraps.
func ExampleMiddleware() {
	var (
		e  *chaos.Engine
		mw chaosfx.Middleware
	)
	app := fx.New(fx.NopLogger, chaosfx.Module, fx.Supply(chaosfx.Config{Seed: 1}), fx.Populate(&e, &mw))
	if err := app.Err(); err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user %s", r.PathValue("id"))
	})))
	get := func() {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/users/7", nil))
		fmt.Println(rec.Code, rec.Body.String())
	}

	get()
	if err := e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=error(database unavailable)`)); err != nil {
		fmt.Println(err)
		return
	}
	get()
	// Output:
	// 200 user 7
	// 500 faultline: injected error at GET /users/{id}: database unavailable
}

// The module provides a transport wrapper, for the clients the application
// builds.
func ExampleTransport() {
	var (
		e  *chaos.Engine
		tr chaosfx.Transport
	)
	app := fx.New(fx.NopLogger, chaosfx.Module, fx.Supply(chaosfx.Config{Seed: 1}), fx.Populate(&e, &tr))
	if err := app.Err(); err != nil {
		fmt.Println(err)
		return
	}
	client := &http.Client{Transport: tr(nil)} // nil: http.DefaultTransport
	if err := e.Apply(chaos.MustParsePlan(`"http.client payments.internal"=status(429)`)); err != nil {
		fmt.Println(err)
		return
	}

	// The fault answers without sending the request.
	resp, err := client.Get("http://payments.internal/charge")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get(chaoshttp.HeaderInjected))
	// Output:
	// 429 status; point="http.client payments.internal"
}

// Sources reports what each plan source did: here the policy refused the
// plan in FAULTLINE_PLAN, so nothing applied and the engine has no plan.
func ExampleSources_Status() {
	os.Setenv(source.EnvVar, "checkout=50%error(boom)")
	defer os.Unsetenv(source.EnvVar)

	var (
		e       *chaos.Engine
		sources *chaosfx.Sources
	)
	handled := make(chan struct{}, 1)
	app := fx.New(
		fx.NopLogger,
		chaosfx.Module,
		fx.Supply(chaosfx.Config{
			Seed:    1,
			Policy:  chaos.ProductionPolicy(),
			Sources: []source.Source{source.Env()},
			RunnerOptions: []source.RunnerOption{source.WithOnUpdate(func(source.RunnerStatus) {
				handled <- struct{}{}
			})},
		}),
		fx.Populate(&e, &sources),
	)
	if err := app.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(context.Background())
	<-handled // the runner has dealt with the variable's plan
	for _, st := range sources.Status() {
		fmt.Printf("%s: applied %d, refused %d\n%v\n", st.Source, st.Applied, st.Refused, st.Err)
	}
	fmt.Printf("plan: %q\n", e.Plan())
	// Output:
	// env: applied 0, refused 1
	// chaos: plan refused by policy: rules[0].rate: 0.5 exceeds the policy's max rate 0.05
	// plan: ""
}
