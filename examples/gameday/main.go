// Command gameday runs a game day against a small real service, in one
// process and in under thirty seconds, with nothing to install:
//
//	go run ./examples/gameday
//
// It starts an orders API (net/http handlers over an embedded SQLite
// database, wrapped with chaoshttp and chaossql, and a worker goroutine
// under chaosgo), drives steady load at it through a client that retries
// and breaks circuits with the resilience helpers, and runs an experiment:
// the steady state is checked, faults are switched on (slow queries, bad
// connections, failing handlers, a panicking worker), probes watch the SLIs
// while stop conditions stand ready to abort, the faults are rolled back,
// and the steady state is checked again once the service has had time to
// settle. It prints progress as it goes and a summary at the end, and
// writes the report as JSON and as a Markdown post-mortem draft.
//
// By default it runs the learning loop of a game day twice, with the same
// seed, so the same faults: first with the client's resilience off (no
// retries, no circuit breaker, no timeout), where the hypothesis breaks
// and the post-mortem names the points and the protection they lack; then
// with it on, where the hypothesis holds. Both reports are written side by
// side. -resilience=off or -resilience=on runs one of the two.
//
// The same seed gives the same fault decisions, so a run can be replayed:
//
//	go run ./examples/gameday -seed 7 -duration 10s -resilience=off -out ./gameday-out
//
// Flags:
//
//	-seed N        the engine's seed (default 1)
//	-duration D    how long the faults stay on in each run (default 8s)
//	-resilience M  off, on, or both: off then on (default both)
//	-rate N        requests per second from the load generator (default 100)
//	-plan TEXT     the fault plan, in faultline's text form (default: see -help)
//	-out DIR       where to write report-resilience-{off,on}.json and postmortem-resilience-{off,on}.md
//	               (default: a new temporary directory)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/gameday"
)

// defaultPlan is what the game day switches on unless -plan says otherwise.
const defaultPlan = `sql.query=10%delay(80ms);sql.exec=5%badconn;"GET /orders/{id}"=15%error(injected);worker.ship=20%panic(shipping worker crashed)`

type config struct {
	seed     uint64
	duration time.Duration
	warmup   time.Duration
	rate     int
	plan     string
	out      string
	// resilience puts retries, a circuit breaker and a timeout in the
	// load's client.
	resilience bool
}

func main() {
	var cfg config
	flag.Uint64Var(&cfg.seed, "seed", 1, "the engine's seed: the same seed gives the same fault decisions")
	flag.DurationVar(&cfg.duration, "duration", 8*time.Second, "how long the faults stay on in each run")
	mode := flag.String("resilience", "both", "the client's retries, circuit breaker and timeout: off, on, or both (off, then on)")
	flag.IntVar(&cfg.rate, "rate", 100, "requests per second from the load generator")
	flag.StringVar(&cfg.plan, "plan", defaultPlan, "the fault plan, in faultline's text form")
	flag.StringVar(&cfg.out, "out", "", "directory for the reports and post-mortems (default: a new temporary directory)")
	flag.Parse()
	cfg.warmup = 2 * time.Second
	modes, err := parseModes(*mode)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gameday:", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := runModes(ctx, cfg, modes, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gameday:", err)
		os.Exit(1)
	}
}

// parseModes reads the -resilience flag: the runs to make, in order.
func parseModes(s string) ([]bool, error) {
	switch s {
	case "off":
		return []bool{false}, nil
	case "on":
		return []bool{true}, nil
	case "both":
		return []bool{false, true}, nil
	}
	return nil, fmt.Errorf("-resilience: %q is not off, on or both", s)
}

// runModes runs the game day once per mode, with the same seed and plan,
// into the same output directory, and compares the runs at the end.
func runModes(ctx context.Context, cfg config, modes []bool, w io.Writer) ([]*gameday.Report, error) {
	if cfg.out == "" {
		var err error
		if cfg.out, err = os.MkdirTemp("", "faultline-gameday-"); err != nil {
			return nil, err
		}
	}
	var reps []*gameday.Report
	for i, on := range modes {
		if i > 0 {
			fmt.Fprintf(w, "\n")
		}
		cfg.resilience = on
		rep, err := run(ctx, cfg, w)
		if err != nil {
			return reps, err
		}
		reps = append(reps, rep)
		if ctx.Err() != nil {
			return reps, nil
		}
	}
	if len(reps) > 1 {
		fmt.Fprintf(w, "\n== the learning loop, seed %d: the same faults in both runs\n", cfg.seed)
		for i, rep := range reps {
			fmt.Fprintf(w, "resilience %-3s %s\n", onOff(modes[i]), oneLine(rep))
		}
	}
	return reps, nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// oneLine sums a run up: held or broke, and recovered or not.
func oneLine(rep *gameday.Report) string {
	held := "hypothesis held"
	if rep.Deviated {
		held = "hypothesis broke"
	}
	rec := "steady state not back within " + rep.Settle.String()
	switch {
	case rep.Recovered && rep.Recovery == 0:
		rec = "steady state held right after the faults"
	case rep.Recovered:
		rec = "steady state back " + rep.Recovery.Round(time.Millisecond).String() + " after the faults"
	}
	return fmt.Sprintf("%-9s %s; %s; %d faults injected", rep.Outcome, held, rec, countInjected(rep))
}

func countInjected(rep *gameday.Report) uint64 {
	var n uint64
	for _, pi := range rep.Injections {
		n += pi.Total
	}
	return n
}

// run runs the whole game day and returns its report. Errors are about the
// harness; an experiment that aborts or deviates is a result, not an error.
func run(ctx context.Context, cfg config, w io.Writer) (*gameday.Report, error) {
	plan, err := chaos.ParsePlan(cfg.plan)
	if err != nil {
		return nil, fmt.Errorf("-plan: %w", err)
	}
	if cfg.out == "" {
		if cfg.out, err = os.MkdirTemp("", "faultline-gameday-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return nil, err
	}
	gd, err := newGameDay(cfg, plan, w)
	if err != nil {
		return nil, err
	}
	defer gd.Close()

	rep, err := gd.Run(ctx)
	if err != nil && !errors.Is(err, gameday.ErrAborted) && !errors.Is(err, context.Canceled) {
		return rep, err
	}
	return rep, gd.writeReport(rep)
}
