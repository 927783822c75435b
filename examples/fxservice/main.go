// Command fxservice is a small go.uber.org/fx application with faultline
// wired in through middleware/chaosfx, and a feature flag as the switch for its
// faults.
//
//	go run ./examples/fxservice
//
// The application is an HTTP service with one endpoint, GET /quote, under
// faultline's middleware, and a client that calls it through faultline's
// transport. Its fault plan lives in a feature flag, read through
// OpenFeature (an in-memory provider stands in for the flag system), and a
// local policy bounds whatever the flag says. The demo runs in a few
// hundred milliseconds, then exits:
//
//  1. it makes a few requests with the flag off: all succeed;
//  2. it turns the flag on with a plan (a share of 503s at the server,
//     a share of failed calls at the client) and makes the same requests:
//     some fail, and each failure is marked as injected;
//  3. it sets the flag to a plan the policy refuses (a panic at every
//     call): the refusal is logged, and the last good plan stays;
//  4. it turns the flag off: every request succeeds again;
//  5. it prints what the engine counted, and stops the application, which
//     stops the flag source with it.
//
// The same seed gives the same faults. With -serve, the service keeps
// serving at -addr instead, until interrupted; PUT a plan to /flag to set
// the flag (an empty body turns it off), and GET /flag to see faultline's
// state. When FAULTLINE_PLAN is set, -serve takes the plan from it instead
// of the flag.
//
//	go run ./examples/fxservice -serve -addr localhost:8080 &
//	curl -X PUT localhost:8080/flag -d '"GET /quote"=20%status(503)'
//	curl -i localhost:8080/quote
//
// Flags:
//
//	-seed N      the engine's seed (default 1)
//	-requests N  requests per phase of the demo (default 20)
//	-serve       keep serving instead of running the demo
//	-addr ADDR   where to listen (default 127.0.0.1:0, any free port; with -serve, localhost:8080)
//	-v           print faultline's logs to stderr
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"go.uber.org/fx"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosfx"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// Plans the demo puts in the flag.
const (
	// faultPlan fails a quarter of the server's answers with a 503, and a
	// tenth of the client's calls before they leave.
	faultPlan = `"GET /quote"=25%status(503);"http.client quotes"=10%error(connection refused)`
	// refusedPlan is what a careless edit of the flag might hold: the
	// policy allows neither panics nor a rate of 100%.
	refusedPlan = `"GET /quote"=panic(boom)`
)

// config is what the command line decides.
type config struct {
	settings
	requests int
	logs     io.Writer // faultline's logs; nil discards them
}

func main() {
	var cfg config
	var verbose bool
	flag.Uint64Var(&cfg.seed, "seed", 1, "the engine's seed: the same seed gives the same faults")
	flag.IntVar(&cfg.requests, "requests", 20, "requests per phase of the demo")
	flag.BoolVar(&cfg.serve, "serve", false, "keep serving instead of running the demo")
	flag.StringVar(&cfg.addr, "addr", "", "where to listen (default 127.0.0.1:0; with -serve, localhost:8080)")
	flag.BoolVar(&verbose, "v", false, "print faultline's logs to stderr")
	flag.Parse()
	if cfg.addr == "" {
		cfg.addr = "127.0.0.1:0"
		if cfg.serve {
			cfg.addr = "localhost:8080"
		}
	}
	if verbose || cfg.serve {
		cfg.logs = os.Stderr
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fxservice:", err)
		os.Exit(1)
	}
}

// app holds what the demo uses of the running application.
type app struct {
	fx.In

	Engine  *chaos.Engine
	Client  *http.Client
	Server  *server
	Flags   *flags
	Updates updates
	Sources *chaosfx.Sources
}

// result is what the demo saw in each phase.
type result struct {
	before, during, after tally
	refused               error // why the policy refused the careless plan
}

// run builds and starts the application, runs the demo (or serves until
// ctx is done), and stops it.
func run(ctx context.Context, cfg config, w io.Writer) (res result, err error) {
	logger := slog.New(slog.DiscardHandler)
	if cfg.logs != nil {
		logger = slog.New(slog.NewTextHandler(cfg.logs, nil))
	}
	var a app
	fxApp := fx.New(
		fx.NopLogger,
		fx.Supply(cfg.settings, logger), // faultline logs to the application's logger
		chaosfx.Module,
		module,
		fx.Populate(&a),
	)
	if err := fxApp.Start(ctx); err != nil {
		return res, fmt.Errorf("starting: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if stopErr := fxApp.Stop(stopCtx); stopErr != nil && err == nil {
			err = fmt.Errorf("stopping: %w", stopErr)
		}
	}()

	if cfg.serve {
		fmt.Fprintf(w, "serving on http://%s (GET /quote; PUT /flag with a plan, GET /flag for the state); ^C stops\n", a.Server.addr)
		<-ctx.Done()
		return res, nil
	}
	return demo(ctx, a, cfg, w)
}

// demo runs the five steps of the package documentation.
func demo(ctx context.Context, a app, cfg config, w io.Writer) (result, error) {
	var res result
	// Each step takes milliseconds; the bound only keeps a flag change that
	// never applies from hanging the demo.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := "http://" + a.Server.addr + "/quote"
	fmt.Fprintf(w, "fxservice: seed %d, plan from %s\n", a.Engine.Seed(), a.Sources.Status()[0].Source)

	// The runner reads the flag at start; wait for that first read, so that
	// it cannot race with the changes below.
	st, err := waitFor(ctx, a.Updates, func(source.RunnerStatus) bool { return true })
	if err != nil {
		return res, err
	}
	res.before = phase(ctx, w, "flag off", a.Client, url, cfg.requests)

	a.Flags.set(faultPlan)
	if st, err = waitFor(ctx, a.Updates, applied(st)); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "flag on:     %s\n", a.Engine.Plan())
	res.during = phase(ctx, w, "faults on", a.Client, url, cfg.requests)

	a.Flags.set(refusedPlan)
	if st, err = waitFor(ctx, a.Updates, refused(st)); err != nil {
		return res, err
	}
	res.refused = st.Err
	fmt.Fprintf(w, "flag edited: %s\n", refusedPlan)
	fmt.Fprintf(w, "             refused: %v\n", st.Err)
	fmt.Fprintf(w, "             still on: %s\n", a.Engine.Plan())

	a.Flags.set("")
	if _, err = waitFor(ctx, a.Updates, applied(st)); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "flag off:    plan %q\n", a.Engine.Plan())
	res.after = phase(ctx, w, "faults off", a.Client, url, cfg.requests)

	fmt.Fprintln(w, "injected, by point:")
	for _, p := range a.Engine.Stats().Points {
		if p.Evaluations > 0 {
			fmt.Fprintf(w, "  %-20s %3d of %3d calls\n", p.Point, p.Fired, p.Evaluations)
		}
	}
	return res, nil
}

// waitFor waits for the runner to report a status that passes ok.
func waitFor(ctx context.Context, ch updates, ok func(source.RunnerStatus) bool) (source.RunnerStatus, error) {
	for {
		select {
		case st := <-ch:
			if ok(st) {
				return st, nil
			}
		case <-ctx.Done():
			return source.RunnerStatus{}, fmt.Errorf("waiting for the flag to apply: %w", ctx.Err())
		}
	}
}

// applied passes a status that applied a plan since prev.
func applied(prev source.RunnerStatus) func(source.RunnerStatus) bool {
	return func(s source.RunnerStatus) bool { return s.Applied > prev.Applied }
}

// refused passes a status that refused a plan since prev.
func refused(prev source.RunnerStatus) func(source.RunnerStatus) bool {
	return func(s source.RunnerStatus) bool { return s.Refused > prev.Refused }
}

// tally counts the outcomes of a phase's requests.
type tally struct {
	ok, serverInjected, clientInjected, other int
}

// phase makes n requests to url, one after another, and prints what came
// back.
func phase(ctx context.Context, w io.Writer, name string, c *http.Client, url string, n int) tally {
	var t tally
	for range n {
		switch code, injected, err := get(ctx, c, url); {
		case errors.Is(err, faults.ErrInjected):
			t.clientInjected++
		case err != nil:
			t.other++
		case code == http.StatusOK:
			t.ok++
		case injected:
			t.serverInjected++
		default:
			t.other++
		}
	}
	fmt.Fprintf(w, "%-12s %d requests: %d ok, %d injected at the server, %d injected at the client, %d other\n",
		name+":", n, t.ok, t.serverInjected, t.clientInjected, t.other)
	return t
}

// get makes one request and reports the status code, whether a fault
// marked the answer, and the error.
func get(ctx context.Context, c *http.Client, url string) (int, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get(chaoshttp.HeaderInjected) != "", nil
}
