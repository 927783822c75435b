// Command gameday runs a game day against a small real service, in one
// process and in about twenty seconds, with nothing to install:
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
// and the steady state is checked again. It prints progress as it goes and
// a summary at the end, and writes the report as JSON and as a Markdown
// post-mortem draft.
//
// The same seed gives the same fault decisions, so a run can be replayed:
//
//	go run ./examples/gameday -seed 7 -duration 10s -out ./gameday-out
//
// Flags:
//
//	-seed N        the engine's seed (default 1)
//	-duration D    how long the faults stay on (default 15s)
//	-rate N        requests per second from the load generator (default 100)
//	-plan TEXT     the fault plan, in faultline's text form (default: see -help)
//	-out DIR       where to write report.json and postmortem.md (default: a new temporary directory)
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
const defaultPlan = `sql.query=10%delay(80ms);sql.exec=5%badconn;"GET /orders/{id}"=5%error(injected);worker.ship=20%panic(shipping worker crashed)`

type config struct {
	seed     uint64
	duration time.Duration
	warmup   time.Duration
	rate     int
	plan     string
	out      string
}

func main() {
	var cfg config
	flag.Uint64Var(&cfg.seed, "seed", 1, "the engine's seed: the same seed gives the same fault decisions")
	flag.DurationVar(&cfg.duration, "duration", 15*time.Second, "how long the faults stay on")
	flag.IntVar(&cfg.rate, "rate", 100, "requests per second from the load generator")
	flag.StringVar(&cfg.plan, "plan", defaultPlan, "the fault plan, in faultline's text form")
	flag.StringVar(&cfg.out, "out", "", "directory for report.json and postmortem.md (default: a new temporary directory)")
	flag.Parse()
	cfg.warmup = 2 * time.Second

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gameday:", err)
		os.Exit(1)
	}
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
