// Command fleetgameday runs a game day against a fleet: several instances
// of a small orders service, each a separate process on loopback with its
// own engine and admin API, in about five seconds:
//
//	go run ./examples/fleetgameday
//
// It starts the instances (this binary run again with FLEETGAMEDAY_INSTANCE
// set), spreads steady load over them, and runs one experiment across the
// fleet through each instance's admin API: the plan goes on at every
// instance, but its "instances=50%" share arms only about half of them;
// stop conditions read every instance's counters and the fleet's sum, and
// when the fleet's fault budget is spent the kill switch of every instance
// is thrown at once. It prints the timeline as it goes and the report, as
// a Markdown post-mortem draft with a Fleet section that lists each
// instance, whether it took part, its calls and faults, and its kill
// switch.
//
// Flags:
//
//	-instances N  how many instance processes to start (default 4)
//	-seed N       the seed of every instance's engine, which also picks the
//	              instances a share arms (default 6)
//	-plan TEXT    the plan (default `orders.lookup=40%error(database down)[instances=50%]`)
//	-budget N     faults the fleet may take before the stop condition trips (default 25)
//	-duration D   how long the faults stay on at most (default 10s)
//	-rate N       requests per second over the whole fleet (default 100)
//	-out DIR      where to write report.json and postmortem.md (default: nowhere)
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/faultline-go/faultline/chaos/gameday"
)

// defaultPlan fails four lookups in ten on half the instances.
const defaultPlan = "orders.lookup=40%error(database down)[instances=50%]"

func main() {
	if id := os.Getenv(envInstance); id != "" {
		if err := serveInstance(id); err != nil {
			fmt.Fprintf(os.Stderr, "fleetgameday %s: %v\n", id, err)
			os.Exit(1)
		}
		return
	}
	var cfg config
	flag.IntVar(&cfg.instances, "instances", 4, "how many instance processes to start")
	flag.Uint64Var(&cfg.seed, "seed", 6, "the seed of every instance's engine; it also picks the instances a share of instances arms")
	flag.StringVar(&cfg.plan, "plan", defaultPlan, "the fault plan, in faultline's text form")
	flag.IntVar(&cfg.budget, "budget", 25, "faults the whole fleet may take before the stop condition trips")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long the faults stay on at most")
	flag.IntVar(&cfg.rate, "rate", 100, "requests per second over the whole fleet")
	flag.StringVar(&cfg.out, "out", "", "directory for report.json and postmortem.md (default: none written)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := run(ctx, cfg, os.Stdout)
	if rep != nil {
		fmt.Println()
		fmt.Println(rep.Markdown())
	}
	// An abort by the stop condition is what this game day shows.
	if err != nil && !errors.Is(err, gameday.ErrAborted) {
		fmt.Fprintln(os.Stderr, "fleetgameday:", err)
		os.Exit(1)
	}
}

// run starts the fleet, runs the game day across it, writes the report if
// cfg.out is set, and stops the fleet.
func run(ctx context.Context, cfg config, log io.Writer) (rep *gameday.Report, err error) {
	token := rand.Text()
	fmt.Fprintf(log, "starting %d instances of the orders service\n", cfg.instances)
	fleet, stop, err := startFleet(cfg.instances, cfg.seed, token, os.Stderr)
	defer func() {
		if serr := stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	if err != nil {
		return nil, err
	}
	for _, in := range fleet {
		fmt.Fprintf(log, "  %s  admin %s\n", in.id, in.base)
	}
	rep, err = runGameDay(ctx, cfg, fleet, token, log)
	if rep != nil && cfg.out != "" {
		if werr := writeReport(cfg.out, rep); werr != nil && err == nil {
			err = werr
		}
	}
	return rep, err
}

// writeReport writes the report as JSON and as Markdown into dir.
func writeReport(dir string, rep *gameday.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := rep.JSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "postmortem.md"), []byte(rep.Markdown()+"\n"), 0o644)
}
