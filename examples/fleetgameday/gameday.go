package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"github.com/faultline-go/faultline/chaos/gameday"
	"github.com/faultline-go/faultline/probes"
)

// budgetProbe names the stop condition on the fleet's faults.
const budgetProbe = "fleet fault budget"

// config is what a fleet game day runs with.
type config struct {
	instances int
	seed      uint64
	plan      string
	budget    int           // faults the fleet may take before the stop condition trips
	duration  time.Duration // how long the faults stay on at most
	rate      int           // requests per second from the load generator
	out       string        // where to write the report; empty: nowhere
}

// clients returns the admin clients of the fleet's instances.
func clients(fleet []*instance, token string) ([]*admin.Client, error) {
	cs := make([]*admin.Client, len(fleet))
	for i, in := range fleet {
		c, err := admin.NewClient(in.base, token)
		if err != nil {
			return nil, err
		}
		cs[i] = c
	}
	return cs, nil
}

// runGameDay runs the fleet game day: load spread over every instance,
// the plan switched on at each through its admin API, a fault budget over
// the whole fleet and a per-instance fault ratio as stop conditions.
func runGameDay(ctx context.Context, cfg config, fleet []*instance, token string, log io.Writer) (*gameday.Report, error) {
	cs, err := clients(fleet, token)
	if err != nil {
		return nil, err
	}
	plan, err := chaos.ParsePlan(cfg.plan)
	if err != nil {
		return nil, fmt.Errorf("-plan: %w", err)
	}
	f := &gameday.Fleet{Instances: cs}
	window := probes.NewSampleWindow(100, probes.WithMaxAge(time.Second))

	// The load runs through the whole game day, so that the steady state
	// is checked under load before, during and after the faults.
	loadCtx, stopLoad := context.WithCancel(ctx)
	var loading sync.WaitGroup
	loading.Go(func() { drive(loadCtx, fleet, cfg.rate, window) })
	defer func() { stopLoad(); loading.Wait() }()
	if err := waitSamples(ctx, window, 20); err != nil {
		return nil, err
	}

	x := &gameday.Experiment{
		Title:      "orders fleet under a failing lookup",
		Hypothesis: "the orders fleet keeps 70% of requests succeeding while lookups fail on half its instances",
		Fleet:      f,
		Plan:       plan,
		SteadyState: []probes.Probe{
			window.SuccessRatioAtLeast("orders success ≥ 70%", 0.7, 20),
		},
		StopWhen: []probes.Probe{
			f.FiredAtMost(fmt.Sprintf("%s ≤ %d", budgetProbe, cfg.budget), "orders.*", cfg.budget),
			f.FaultRatioAtMost("no instance above 60% faults", "orders.*", 0.6, 50),
		},
		Duration:      cfg.duration,
		Interval:      100 * time.Millisecond,
		Environment:   gameday.Environment{Service: "orders"},
		ReplayCommand: fmt.Sprintf("go run ./examples/fleetgameday -instances %d -seed %d -plan '%s'", cfg.instances, cfg.seed, cfg.plan),
		Notify: func(e gameday.TimelineEntry) {
			fmt.Fprintf(log, "%8v  %-8s %s\n", e.At.Round(time.Millisecond), e.Phase, e.Message)
		},
	}
	return x.Run(ctx)
}

// drive sends GET /orders/{n} to the instances in turn, rate times a
// second, and records each outcome in window, until ctx ends.
func drive(ctx context.Context, fleet []*instance, rate int, window *probes.SampleWindow) {
	hc := &http.Client{Timeout: 2 * time.Second}
	defer hc.CloseIdleConnections()
	tick := time.NewTicker(time.Second / time.Duration(max(rate, 1)))
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		in := fleet[n%len(fleet)]
		start := time.Now()
		err := get(ctx, hc, fmt.Sprintf("http://%s/orders/%d", in.addr, n))
		if ctx.Err() != nil {
			return
		}
		window.Observe(start, err)
	}
}

func get(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// waitSamples waits until the window holds n samples, checking every
// 10ms, for at most ten seconds.
func waitSamples(ctx context.Context, window *probes.SampleWindow, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for window.Snapshot().Count < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d requests to the fleet: %w", n, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
