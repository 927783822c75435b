package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/gameday"
	"github.com/faultline-go/faultline/internal/wait"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/resilience"
	"github.com/faultline-go/faultline/probes"
)

// gameDay wires the service, its server, the resilient client, the load
// and the experiment together.
type gameDay struct {
	cfg    config
	plan   chaos.Plan
	out    io.Writer
	engine *chaos.Engine
	svc    *service
	dbDir  string
	srv    *http.Server
	url    string
	client *http.Client
	window *probes.SampleWindow

	requests, failures atomic.Int64
	phase              atomic.Value // string
	started            time.Time
	printMu            sync.Mutex
}

func newGameDay(cfg config, plan chaos.Plan, w io.Writer) (*gameDay, error) {
	e := chaos.New(chaos.WithSeed(cfg.seed), chaos.WithInstance("gameday"))
	dbDir, err := os.MkdirTemp("", "faultline-gameday-db-")
	if err != nil {
		return nil, err
	}
	svc, err := newService(e, filepath.Join(dbDir, "orders.db"))
	if err != nil {
		os.RemoveAll(dbDir)
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		svc.Close()
		os.RemoveAll(dbDir)
		return nil, err
	}
	gd := &gameDay{
		cfg: cfg, plan: plan, out: w, engine: e, svc: svc, dbDir: dbDir,
		srv:    &http.Server{Handler: svc.handler, ReadHeaderTimeout: 5 * time.Second},
		url:    "http://" + ln.Addr().String(),
		window: probes.NewSampleWindow(1024, probes.WithMaxAge(3*time.Second)),
	}
	go func() { _ = gd.srv.Serve(ln) }()

	// The client survives what the server suffers: retries with backoff,
	// a circuit breaker, and a timeout per attempt. Its own transport is a
	// fault point too ("http.client 127.0.0.1:PORT"), for plans that
	// target the network.
	breaker := resilience.NewBreaker("orders", resilience.WithConsecutiveFailures(10), resilience.WithOpenTimeout(time.Second))
	policy := resilience.Chain(
		resilience.Retry{MaxAttempts: 3, InitialInterval: 5 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
		breaker,
		resilience.Timeout{Duration: 500 * time.Millisecond},
	)
	transport := chaoshttp.Transport(http.DefaultTransport.(*http.Transport).Clone(), e)
	gd.client = &http.Client{Transport: transport, Timeout: 5 * time.Second}
	if cfg.resilience {
		gd.client.Transport = resilience.Transport(transport, policy, resilience.WithFailureStatus(resilience.TransientStatus))
	}
	gd.phase.Store("warm-up")
	return gd, nil
}

func (gd *gameDay) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := gd.srv.Shutdown(ctx)
	gd.client.CloseIdleConnections()
	return errors.Join(err, gd.svc.Close(), os.RemoveAll(gd.dbDir))
}

// Run drives the load, runs the experiment, and stops everything it
// started before it returns.
func (gd *gameDay) Run(ctx context.Context) (*gameday.Report, error) {
	gd.started = time.Now()
	gd.printf("faultline game day: seed %d, resilience %s, faults on for %v, %d requests/s against %s\n", gd.cfg.seed, onOff(gd.cfg.resilience), gd.cfg.duration, gd.cfg.rate, gd.url)
	gd.printf("plan: %s\n\n", gd.plan)

	bg, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); gd.load(bg) }()
	go func() { defer wg.Done(); gd.svc.runWorker(bg, 100*time.Millisecond) }()
	go func() { defer wg.Done(); gd.progress(bg) }()
	defer func() { stop(); wg.Wait() }()

	// Warm up, so the SLI window holds the steady state before the check.
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(gd.cfg.warmup):
	}

	x := &gameday.Experiment{
		Title:      "Orders survive a flaky database and a crashing worker",
		Hypothesis: "With retries, a circuit breaker and a supervised worker, the orders API keeps at least 95% of requests succeeding and p99 latency under 1s while queries slow down, connections go bad, handlers fail and the shipping worker panics.",
		Engine:     gd.engine,
		Plan:       gd.plan,
		SteadyState: []probes.Probe{
			gd.window.SuccessRatioAtLeast("orders success ≥ 95%", 0.95, 20),
			gd.window.LatencyAtMost("orders p99 ≤ 1s", 0.99, time.Second, 20),
			probes.HTTP("healthz answers", gd.url+"/healthz", probes.WithMaxLatency(time.Second)),
			probes.SQL("orders table readable", gd.svc.plainDB, "SELECT count(*) FROM orders", probes.WithMaxLatency(time.Second)),
		},
		StopWhen: []probes.Probe{
			gd.window.SuccessRatioAtLeast("orders success ≥ 80%", 0.8, 20),
		},
		Rollbacks: []gameday.Rollback{{
			Name: "ship the orders the crashed worker left pending",
			Do: func(ctx context.Context) error {
				_, err := gd.svc.plainDB.ExecContext(ctx, `UPDATE orders SET status = 'shipped' WHERE status = 'pending'`)
				return err
			},
		}},
		Duration:      gd.cfg.duration,
		Interval:      500 * time.Millisecond,
		Notify:        gd.notify,
		Environment:   gameday.Environment{Service: "orders example"},
		ReplayCommand: gd.replayCommand(),
	}
	rep, err := x.Run(ctx)
	stop()
	wg.Wait()
	if rep != nil {
		gd.summary(rep)
	}
	return rep, err
}

// load sends cfg.rate requests a second from four workers until ctx ends:
// seven in ten read an order, three create one. Each outcome feeds the SLI
// window the probes read.
func (gd *gameDay) load(ctx context.Context) {
	ticks := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range ticks {
				gd.request(ctx, n)
			}
		}()
	}
	t := time.NewTicker(time.Second / time.Duration(max(gd.cfg.rate, 1)))
	defer func() { t.Stop(); close(ticks); wg.Wait() }()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			select {
			case ticks <- n:
			default: // all workers busy: the load generator does not queue
			}
		}
	}
}

func (gd *gameDay) request(ctx context.Context, n int) {
	r := rand.New(rand.NewPCG(gd.cfg.seed, uint64(n)))
	var req *http.Request
	var err error
	if r.IntN(10) < 7 {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/orders/%d", gd.url, 1+r.IntN(100)), nil)
	} else {
		body, _ := json.Marshal(order{Item: fmt.Sprintf("item-%d", r.IntN(7)), Qty: 1 + r.IntN(5)})
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, gd.url+"/orders", bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("order-%d-%d", gd.cfg.seed, n))
		}
	}
	if err != nil {
		return
	}
	start := time.Now()
	resp, err := gd.client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
	}
	if ctx.Err() != nil {
		return // the run is over; this outcome says nothing about the service
	}
	gd.requests.Add(1)
	if err != nil {
		gd.failures.Add(1)
	}
	gd.window.Observe(start, err)
}

// progress prints a status line every second.
func (gd *gameDay) progress(ctx context.Context) {
	wait.Every(ctx, time.Second, gd.printProgress)
}

// printProgress prints one status line.
func (gd *gameDay) printProgress() {
	s := gd.window.Snapshot()
	var injected uint64
	for _, p := range gd.engine.Stats().Points {
		injected += p.Fired
	}
	gd.printf("%6.1fs  %-8s requests %6d  success %6.2f%%  p99 %7v  injected %5d  worker crashes %d\n",
		time.Since(gd.started).Seconds(), gd.phase.Load(), gd.requests.Load(), 100*s.SuccessRatio,
		s.P99.Round(time.Millisecond), injected, gd.svc.crashes.Load())
}

// notify prints the experiment's timeline as it happens, and tracks the
// phase for the progress line.
func (gd *gameDay) notify(e gameday.TimelineEntry) {
	switch e.Phase {
	case gameday.PhaseBefore:
		gd.phase.Store("baseline")
	case gameday.PhaseDuring, gameday.PhaseStop:
		gd.phase.Store("faults")
	case gameday.PhaseAfter:
		gd.phase.Store("recovery")
	}
	gd.printf("%6.1fs  » %s\n", time.Since(gd.started).Seconds(), e.Message)
}

func (gd *gameDay) printf(format string, args ...any) {
	gd.printMu.Lock()
	defer gd.printMu.Unlock()
	fmt.Fprintf(gd.out, format, args...)
}

func (gd *gameDay) summary(rep *gameday.Report) {
	req, fail := gd.requests.Load(), gd.failures.Load()
	var b strings.Builder
	fmt.Fprintf(&b, "\n== %s\n", rep.Title)
	fmt.Fprintf(&b, "status:    %s (deviated: %v)\n", rep.Outcome, rep.Deviated)
	fmt.Fprintf(&b, "verdict:   %s\n", rep.Verdict)
	if req > 0 {
		fmt.Fprintf(&b, "requests:  %d, %d failed (%.2f%% success)\n", req, fail, 100*float64(req-fail)/float64(req))
	}
	fmt.Fprintf(&b, "worker:    %d rounds shipped, %d crashes recovered\n", gd.svc.shipped.Load(), gd.svc.crashes.Load())
	for _, pi := range rep.Injections { // sorted by point
		fmt.Fprintf(&b, "injected:  %-24s %5d  %v", pi.Point, pi.Total, kinds(pi))
		if pi.Absorbed > 0 || pi.Escaped > 0 {
			fmt.Fprintf(&b, "  (%d absorbed, %d escaped)", pi.Absorbed, pi.Escaped)
		}
		fmt.Fprintf(&b, "\n")
	}
	switch {
	case rep.Recovered && rep.Recovery == 0:
		fmt.Fprintf(&b, "recovery:  steady state held right after the faults went off (settle time %v)\n", rep.Settle)
	case rep.Recovered:
		fmt.Fprintf(&b, "recovery:  steady state back %v after the faults went off (settle time %v)\n", rep.Recovery.Round(time.Millisecond), rep.Settle)
	case rep.Outcome != gameday.OutcomeFailed:
		fmt.Fprintf(&b, "recovery:  steady state not back within the %v settle time\n", rep.Settle)
	}
	fmt.Fprintf(&b, "replay:    %s  (same seed, same decisions: the n-th call at each point gets the same fault)\n", rep.ReplayCommand)
	gd.printf("%s", b.String())
}

func kinds(pi gameday.PointInjections) string {
	var parts []string
	for k, n := range pi.ByKind {
		parts = append(parts, fmt.Sprintf("%v %d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// replayCommand is the command that runs this game day again.
func (gd *gameDay) replayCommand() string {
	return fmt.Sprintf("go run ./examples/gameday -seed %d -duration %v -rate %d -resilience=%s",
		gd.cfg.seed, gd.cfg.duration, gd.cfg.rate, onOff(gd.cfg.resilience))
}

// reportNames returns the file names of the run's report and post-mortem:
// report-resilience-off.json and postmortem-resilience-off.md, or -on.
func reportNames(resilient bool) (report, postmortem string) {
	suffix := "resilience-" + onOff(resilient)
	return "report-" + suffix + ".json", "postmortem-" + suffix + ".md"
}

// writeReport writes the run's report and post-mortem into cfg.out.
func (gd *gameDay) writeReport(rep *gameday.Report) error {
	if rep == nil {
		return nil
	}
	j, err := rep.JSON()
	if err != nil {
		return err
	}
	jn, mn := reportNames(gd.cfg.resilience)
	jp := filepath.Join(gd.cfg.out, jn)
	mp := filepath.Join(gd.cfg.out, mn)
	if err := os.WriteFile(jp, j, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(mp, []byte(rep.Markdown()), 0o644); err != nil {
		return err
	}
	gd.printf("report:    %s\npostmortem: %s\n", jp, mp)
	gd.printf("replay it in a test: engine := chaostest.ReplayFile(t, %q)\n", jp)
	return nil
}
