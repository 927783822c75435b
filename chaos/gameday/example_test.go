package gameday_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/gameday"
	"github.com/faultline-go/faultline/faults"
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

	x := &gameday.Experiment{
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
	fmt.Println("status:", rep.Outcome)
	fmt.Println("stopped by:", rep.StopReason)
	fmt.Println("injected:", rep.Injections[0].Total, "at", rep.Injections[0].Point)
	fmt.Println("faults still on:", len(e.Plan().Rules) > 0)
	// Output:
	// error: gameday: experiment aborted by a stop condition
	// status: aborted
	// stopped by: orders answers 2xx
	// injected: 1 at api.orders
	// faults still on: false
}

// report is a small finished report, as Run returns: a run that a stop
// condition aborted after five injections.
func report() *gameday.Report {
	return &gameday.Report{
		Schema:     gameday.ReportSchema,
		Title:      "orders API errors",
		Hypothesis: "the orders API stays up when its handler fails",
		Seed:       1,
		Instance:   "example",
		Plan:       chaos.MustParsePlan("api.orders=error(boom)"),
		Started:    time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC),
		Ended:      time.Date(2026, 11, 2, 10, 0, 1, 0, time.UTC),
		Duration:   10 * time.Second,
		Interval:   time.Second,
		Outcome:    gameday.OutcomeAborted,
		Deviated:   true,
		Verdict:    "The stop condition orders answers 2xx tripped after 1s.",
		StopReason: "orders answers 2xx",
		FaultsOff:  time.Second,
		Settle:     3 * time.Second,
		Recovered:  true,
		Recovery:   2 * time.Second,
		Calls:      12,
		Timeline: []gameday.TimelineEntry{
			{At: 0, Phase: gameday.PhaseBefore, Message: "checking the steady state"},
			{At: time.Second, Phase: gameday.PhaseDuring, Message: "stop condition orders answers 2xx tripped; kill switch thrown"},
		},
		Injections: []gameday.PointInjections{{
			Point: "api.orders", Calls: 12, Total: 5, Escaped: 5, ByKind: map[faults.Kind]uint64{faults.KindError: 5},
			Sequence: []gameday.Injection{{Seq: 1, Kind: faults.KindError}, {Seq: 2, Kind: faults.KindError}},
		}},
	}
}

// The JSON form is versioned and keeps what a replay needs: the seed, the
// instance and the plan as applied.
func ExampleReport_JSON() {
	j, err := report().JSON()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(string(j), "\n")[:6] {
		fmt.Println(line)
	}
	// Output:
	// {
	//   "schema": "faultline.report/v2",
	//   "title": "orders API errors",
	//   "hypothesis": "the orders API stays up when its handler fails",
	//   "seed": "1",
	//   "instance": "example",
}

// The Markdown form is a post-mortem draft with the usual sections.
func ExampleReport_Markdown() {
	for _, line := range strings.Split(report().Markdown(), "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "**Status") || strings.HasPrefix(line, "- [ ]") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// # Post-mortem draft: orders API errors
	// ## Summary
	// **Status:** aborted (hypothesis did not hold)
	// ## Figures
	// ## Impact
	// ## Timeline
	// ## Detection
	// ## What went well
	// ## What went wrong
	// ## Where we got lucky
	// ## Action items
	// - [ ] Protect `api.orders`: 5 of its 5 injected faults escaped the resilience code around it; give it retries with backoff behind a circuit breaker that outlast them.
	// - [ ] Add a test that replays the 5 faults at `api.orders` (seed 1) with `chaostest.Replay`, and make it pass.
}

// A report survives a round trip through its JSON form.
func ExampleParseReport() {
	j, _ := report().JSON()
	rep, err := gameday.ParseReport(j)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Title, rep.Outcome, rep.Seed, rep.Plan)

	_, err = gameday.ParseReport([]byte(`{"schema":"faultline.report/v0"}`))
	fmt.Println(err)
	// Output:
	// orders API errors aborted 1 api.orders=error(boom)
	// gameday: report schema "faultline.report/v0", want "faultline.report/v2"
}

// A game day writes its report to a file; a test reads it back, often
// through chaostest.ReplayFile.
func ExampleReadReport() {
	dir, err := os.MkdirTemp("", "gameday-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "report.json")
	j, _ := report().JSON()
	if err := os.WriteFile(path, j, 0o644); err != nil {
		fmt.Println(err)
		return
	}

	rep, err := gameday.ReadReport(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Injections[0].Point, rep.Injections[0].Total)
	// Output:
	// api.orders 5
}
