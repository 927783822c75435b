package chaos_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/probes"
)

// An experiment against a real HTTP server: the plan makes the handler
// fail, the stop condition sees it at its first check, and the run aborts
// with the faults switched off.
func ExampleExperiment_Run() {
	e := chaos.New(chaos.WithSeed(1))
	handler := e.Point("api.orders")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := handler.Inject(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()

	x := &chaos.Experiment{
		Title:       "orders API errors",
		Hypothesis:  "the orders API stays up when its handler fails",
		Engine:      e,
		Plan:        chaos.MustParsePlan("api.orders=error(boom)"),
		SteadyState: []probes.Probe{probes.HTTP("orders up", srv.URL)},
		StopWhen:    []probes.Probe{probes.HTTP("orders answers 2xx", srv.URL)},
		Duration:    10 * time.Second,
		Interval:    20 * time.Millisecond,
	}
	rep, err := x.Run(context.Background())
	fmt.Println("error:", err)
	fmt.Println("status:", rep.Status)
	fmt.Println("stopped by:", rep.StopReason)
	fmt.Println("injected:", rep.Injections[0].Total, "at", rep.Injections[0].Point)
	fmt.Println("faults still on:", len(e.Plan().Rules) > 0)
	// Output:
	// error: chaos: experiment aborted by a stop condition
	// status: aborted
	// stopped by: orders answers 2xx
	// injected: 1 at api.orders
	// faults still on: false
}
