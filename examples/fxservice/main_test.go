package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/goleak"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	"github.com/faultline-go/faultline/middleware/chaosfx"
)

// TestMain checks that the application leaves nothing running: its server,
// client connections, flag system and faultline's sources all stop.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bounded returns the test's context, cut short after ten seconds so that
// a flag change that never applies fails the test instead of hanging it.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestDemo runs the demo as `go run ./examples/fxservice` does, in-process.
func TestDemo(t *testing.T) {
	const n = 20
	var out bytes.Buffer
	res, err := run(bounded(t), config{settings: settings{addr: "127.0.0.1:0", seed: 1}, requests: n}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("output:\n%s", out.String())

	if res.before != (tally{ok: n}) {
		t.Errorf("with the flag off: %+v, want %d ok", res.before, n)
	}
	d := res.during
	if d.serverInjected == 0 || d.clientInjected == 0 || d.other != 0 || d.ok+d.serverInjected+d.clientInjected != n {
		t.Errorf("with the faults on: %+v, want faults at both ends and nothing else failing", d)
	}
	if !errors.Is(res.refused, chaos.ErrRefused) || !strings.Contains(res.refused.Error(), "panic is not allowed") {
		t.Errorf("the careless plan's refusal: %v", res.refused)
	}
	if res.after != (tally{ok: n}) {
		t.Errorf("with the flag off again: %+v, want %d ok", res.after, n)
	}
	for _, want := range []string{"plan from openfeature:faultline-plan", "still on: " + faultPlan, `flag off:    plan ""`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// The same seed gives the same faults, so two runs print the same thing.
func TestDemoReplays(t *testing.T) {
	runs := make([]string, 2)
	for i := range runs {
		var out bytes.Buffer
		if _, err := run(bounded(t), config{settings: settings{addr: "127.0.0.1:0", seed: 7}, requests: 10}, &out); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		runs[i] = out.String()
	}
	if runs[0] != runs[1] {
		t.Errorf("two runs with seed 7 differ:\n%s\n----\n%s", runs[0], runs[1])
	}
}

// -serve starts the application and stops it when ctx is done.
func TestServeStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The banner is written once the application has started: stop it
	// then.
	w := writerFunc(func(p []byte) (int, error) {
		if bytes.Contains(p, []byte("serving on http://127.0.0.1:")) {
			cancel()
		}
		return len(p), nil
	})
	if _, err := run(ctx, config{settings: settings{addr: "127.0.0.1:0", serve: true}}, w); err != nil {
		t.Fatalf("run: %v", err)
	}
	if ctx.Err() == nil {
		t.Error("run returned without printing its banner")
	}
}

// writerFunc adapts a function to io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// serving builds the application as -serve does and returns its mux and
// the statuses of its plan source.
func serving(t *testing.T) (*http.ServeMux, *chaos.Engine, updates) {
	t.Helper()
	var (
		mux *http.ServeMux
		e   *chaos.Engine
		ch  updates
	)
	app := fxtest.New(t,
		fx.Supply(settings{addr: "127.0.0.1:0", seed: 1, serve: true}),
		chaosfx.Module,
		module,
		fx.Populate(&mux, &e, &ch),
	)
	app.RequireStart()
	t.Cleanup(func() { app.RequireStop() })
	return mux, e, ch
}

// In -serve mode, PUT /flag sets the flag, and the plan follows it.
func TestFlagEndpoint(t *testing.T) {
	mux, e, ch := serving(t)
	st, err := waitFor(bounded(t), ch, func(source.RunnerStatus) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, target, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
		return rec
	}

	tests := []struct {
		name, body string
		code       int
		plan       string // the plan once the flag has applied; "-" when it must not change
	}{
		{"plan", `"GET /quote"=50%status(503)`, http.StatusAccepted, `"GET /quote"=50%status(503)`},
		{"not a plan", `"GET /quote"=teapot(`, http.StatusBadRequest, "-"},
		{"off", ``, http.StatusAccepted, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.Plan().String()
			if rec := do(http.MethodPut, "/flag", tt.body); rec.Code != tt.code {
				t.Fatalf("PUT /flag: %d %s", rec.Code, rec.Body)
			}
			if tt.plan == "-" {
				if e.Plan().String() != before {
					t.Errorf("a rejected flag value changed the plan to %q", e.Plan())
				}
				return
			}
			if st, err = waitFor(bounded(t), ch, applied(st)); err != nil {
				t.Fatal(err)
			}
			if got := e.Plan().String(); got != tt.plan {
				t.Errorf("plan %q, want %q", got, tt.plan)
			}
		})
	}
	rec := do(http.MethodGet, "/flag", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"source": "openfeature:faultline-plan"`) {
		t.Errorf("GET /flag: %d %s", rec.Code, rec.Body)
	}
}

// In -serve mode with FAULTLINE_PLAN set, the plan comes from the
// environment.
func TestServeFromEnv(t *testing.T) {
	t.Setenv(source.EnvVar, `"GET /quote"=50%status(418)`)
	mux, e, ch := serving(t)
	if _, err := waitFor(bounded(t), ch, func(s source.RunnerStatus) bool { return s.Applied == 1 }); err != nil {
		t.Fatal(err)
	}
	if src := e.Active().Source; !strings.HasPrefix(src, "env@") {
		t.Errorf("plan from %q, want env", src)
	}
	teapots := 0
	for range 20 {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/quote", nil))
		if rec.Code == http.StatusTeapot {
			teapots++
		}
	}
	if teapots == 0 || teapots == 20 {
		t.Errorf("%d of 20 requests answered 418, want about half", teapots)
	}
}
