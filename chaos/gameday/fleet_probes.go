package gameday

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"github.com/faultline-go/faultline/probes"
)

// instanceCounts is what a fleet probe read of one instance: the calls
// evaluated and the faults fired at the points it watches.
type instanceCounts struct {
	name         string
	calls, fired uint64
}

// counts reads every instance's counters at once (admin api/stats) and
// sums, per instance, those of the points matching pattern since the plan
// last went on. Any instance that cannot be read fails the whole read.
func (f *Fleet) counts(ctx context.Context, pattern string) ([]instanceCounts, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	out := make([]instanceCounts, len(f.Instances))
	errs := make([]error, len(f.Instances))
	f.each(ctx, func(ctx context.Context, i int, c *admin.Client) {
		f.learnName(ctx, i, c)
		st, err := c.Stats(ctx)
		if err != nil {
			errs[i] = fmt.Errorf("gameday: instance %s: reading its counters: %w", f.name(i), err)
			return
		}
		out[i].name = f.name(i)
		for _, ps := range st.Points {
			if chaos.Match(pattern, ps.Point) {
				d := f.since(i, ps)
				out[i].calls += d.Evaluations
				out[i].fired += d.Fired
			}
		}
	})
	return out, errors.Join(errs...)
}

// fleetProbe is a probe over the counters of a fleet's instances.
type fleetProbe struct {
	f       *Fleet
	name    string
	pattern string
	broken  error
	// judge fills in the figures of res from the counts and returns the
	// failure, if any.
	judge func(res *probes.Result, counts []instanceCounts) error
}

func (p *fleetProbe) Name() string { return p.name }

func (p *fleetProbe) Check(ctx context.Context) probes.Result {
	start := time.Now()
	res := probes.Result{Probe: p.name, Observed: "not checked"}
	err := p.broken
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		res.Err = err.Error()
		return res
	}
	counts, err := p.f.counts(ctx, p.pattern)
	res.Duration = time.Since(start)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	if err := p.judge(&res, counts); err != nil {
		res.Err = err.Error()
		return res
	}
	res.OK = true
	return res
}

// FiredAtMost returns a probe that reads every instance's counters over
// its admin API and passes while the faults fired at the points matching
// pattern (a name or a glob, as in a plan), summed over the fleet, are at
// most n: a budget on the blast radius, for a stop condition. It counts
// from when an experiment last switched its plan on at the fleet (before
// any: since each instance started). Its Result's Value is the fleet's
// count, with metric "faults_fired", and Observed gives each instance's
// count too.
//
// An instance that cannot be read fails the check, so that a stop
// condition errs on the side of stopping. A negative n makes every check
// fail. The probe is safe for concurrent use.
func (f *Fleet) FiredAtMost(name, pattern string, n int) probes.Probe {
	p := &fleetProbe{f: f, name: name, pattern: pattern}
	if n < 0 {
		p.broken = fmt.Errorf("gameday: fired at most %d: a negative count", n)
	}
	p.judge = func(res *probes.Result, counts []instanceCounts) error {
		var calls, fired uint64
		parts := make([]string, len(counts))
		for i, c := range counts {
			calls += c.calls
			fired += c.fired
			parts[i] = fmt.Sprintf("%s %d", c.name, c.fired)
		}
		res.Metric, res.Value, res.Threshold, res.Samples = "faults_fired", float64(fired), float64(n), len(counts)
		res.Observed = fmt.Sprintf("%d faults fired at %s over %d calls on %d instances (want <= %d); by instance: %s",
			fired, pattern, calls, len(counts), n, strings.Join(parts, ", "))
		if fired > uint64(n) {
			return fmt.Errorf("gameday: %d faults fired at %s on the fleet, more than %d", fired, pattern, n)
		}
		return nil
	}
	return p
}

// FaultRatioAtMost returns a probe that reads every instance's counters
// over its admin API and passes while, on every instance, the share of the
// calls evaluated at the points matching pattern that got a fault is at
// most ratio: no instance takes more than its share, whatever the others
// do. It counts from when an experiment last switched its plan on at the
// fleet (before any: since each instance started). Instances with fewer
// than minCalls calls are not judged (a minCalls below 1 counts as 1).
// Its Result's Value is the worst judged instance's ratio, with metric
// "fault_ratio" and Samples that instance's calls, and Observed gives the
// fleet's ratio and each instance's.
//
// An instance that cannot be read fails the check. A ratio outside [0,1]
// makes every check fail. The probe is safe for concurrent use.
func (f *Fleet) FaultRatioAtMost(name, pattern string, ratio float64, minCalls int) probes.Probe {
	p := &fleetProbe{f: f, name: name, pattern: pattern}
	if !(ratio >= 0 && ratio <= 1) {
		p.broken = fmt.Errorf("gameday: fault ratio %v is outside [0,1]", ratio)
	}
	minCalls = max(minCalls, 1)
	shown := strconv.FormatFloat(ratio, 'f', -1, 64)
	p.judge = func(res *probes.Result, counts []instanceCounts) error {
		var calls, fired uint64
		worst, judged := -1, 0
		parts := make([]string, len(counts))
		for i, c := range counts {
			calls += c.calls
			fired += c.fired
			parts[i] = fmt.Sprintf("%s %d/%d", c.name, c.fired, c.calls)
			if c.calls < uint64(minCalls) {
				continue
			}
			judged++
			if worst < 0 || share(c.fired, c.calls) > share(counts[worst].fired, counts[worst].calls) {
				worst = i
			}
		}
		res.Metric, res.Threshold, res.Unit, res.MinSamples = "fault_ratio", ratio, probes.UnitRatio, minCalls
		fleet := fmt.Sprintf("fleet %s over %d calls; by instance: %s", fmtRatio(share(fired, calls)), calls, strings.Join(parts, ", "))
		if worst < 0 {
			res.Observed = fmt.Sprintf("no instance has %d calls yet, not enough to judge (want <= %s); %s", minCalls, shown, fleet)
			return nil
		}
		w := counts[worst]
		res.Value, res.Samples = share(w.fired, w.calls), int(min(w.calls, math.MaxInt32))
		res.Observed = fmt.Sprintf("worst of %d instances %s: fault ratio %s over %d calls (want <= %s); %s",
			judged, w.name, fmtRatio(res.Value), w.calls, shown, fleet)
		if res.Value > ratio {
			return fmt.Errorf("gameday: fault ratio %s on instance %s is above %s", fmtRatio(res.Value), w.name, shown)
		}
		return nil
	}
	return p
}

// share returns n/of, or 0 for none.
func share(n, of uint64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
