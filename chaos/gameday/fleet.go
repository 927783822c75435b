package gameday

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"github.com/faultline-go/faultline/faults"
)

// DefaultFleetTimeout bounds each call an experiment makes to one instance
// of a [Fleet] unless [Fleet.Timeout] says otherwise: 5 seconds.
const DefaultFleetTimeout = 5 * time.Second

// Fleet is the instances of a service that an [Experiment] runs its plan
// on, each through its admin API (package admin), instead of on one engine
// in the process. Set it as [Experiment.Fleet].
//
// The experiment drives every instance as it drives one engine, with the
// same guarantees: it reads each instance's state, applies the plan on each
// with [admin.Client.ApplyIf] (a compare-and-swap on that instance's
// generation, so the instance's policy bounds the plan and a thrown kill
// switch refuses it), and, if any instance refuses, takes the plan back off
// the others: a fleet runs the plan everywhere or nowhere. Rules with a
// share of instances ("instances=50%") then arm only their share, and the
// report says which instances took part. A stop condition, or the end of
// the run's context, throws the kill switch of every instance at once,
// each call bounded by Timeout, and the report says which confirmed. After
// a completed run each instance gets back what it ran before, with
// ApplyIf on the generation the plan left it at, so that nothing done to an
// instance during the run is undone.
//
// The admin API is the control path because it answers: a plan source
// that instances poll (package source) would switch the plan on whenever
// each polled, could not tell that an instance refused it, and could not
// throw a kill switch and have it confirmed.
//
// A Fleet keeps the counters its instances had when the plan last went on,
// for its probes ([Fleet.FiredAtMost], [Fleet.FaultRatioAtMost]); it is safe
// for concurrent use, but one Fleet runs one experiment at a time.
type Fleet struct {
	// Instances are the admin clients of the instances, one each, in the
	// order the report lists them (see [admin.NewClient]). Every one must
	// be non-nil, and at least one is needed.
	Instances []*admin.Client
	// Timeout bounds each call to one instance: reading its state and
	// counters, applying or restoring a plan, throwing its kill switch.
	// Zero means [DefaultFleetTimeout]; negative means no bound but the
	// run's context and the client's own timeout.
	Timeout time.Duration

	mu sync.Mutex
	// names and baseline are per instance: its engine's instance id, and
	// its counters when the plan last went on. The probes count from them.
	names    []string
	baseline []map[string]chaos.PointStats
}

// check reports what keeps the fleet from running, with each place.
func (f *Fleet) check() error {
	if len(f.Instances) == 0 {
		return errors.New("gameday: fleet.instances: no instance")
	}
	var errs []error
	for i, c := range f.Instances {
		if c == nil {
			errs = append(errs, fmt.Errorf("gameday: fleet.instances[%d]: nil client", i))
		}
	}
	return errors.Join(errs...)
}

// each calls fn for every instance at once, each with a context bounded by
// the fleet's timeout, and waits for them all.
func (f *Fleet) each(ctx context.Context, fn func(ctx context.Context, i int, c *admin.Client)) {
	timeout := f.Timeout
	if timeout == 0 {
		timeout = DefaultFleetTimeout
	}
	var wg sync.WaitGroup
	for i, c := range f.Instances {
		wg.Go(func() {
			ctx, cancel := ctx, context.CancelFunc(func() {})
			if timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, timeout)
			}
			defer cancel()
			fn(ctx, i, c)
		})
	}
	wg.Wait()
}

// name returns what the report and the probes call instance i: its
// engine's instance id once known, else its admin URL.
func (f *Fleet) name(i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i < len(f.names) && f.names[i] != "" {
		return f.names[i]
	}
	return f.Instances[i].URL()
}

// learnName reads instance i's engine id, if it is not known yet, so
// that probes checked before a run name it too.
func (f *Fleet) learnName(ctx context.Context, i int, c *admin.Client) {
	f.mu.Lock()
	known := i < len(f.names) && f.names[i] != ""
	f.mu.Unlock()
	if known {
		return
	}
	st, err := c.Status(ctx)
	if err != nil || st.Instance == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.names) < len(f.Instances) {
		f.names = append(f.names, make([]string, len(f.Instances)-len(f.names))...)
	}
	f.names[i] = st.Instance
}

// setBaseline records the instances' ids and counters as the plan goes on.
func (f *Fleet) setBaseline(names []string, stats []map[string]chaos.PointStats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names, f.baseline = names, stats
}

// since returns the counters of instance i at point less those it had
// when the plan last went on.
func (f *Fleet) since(i int, ps chaos.PointStats) chaos.PointStats {
	f.mu.Lock()
	var was chaos.PointStats
	if i < len(f.baseline) {
		was = f.baseline[i][ps.Point]
	}
	f.mu.Unlock()
	return deltaStats(ps, was)
}

// deltaStats returns the counters of now less those of was, for one point.
func deltaStats(now, was chaos.PointStats) chaos.PointStats {
	d := chaos.PointStats{
		Point:       now.Point,
		Armed:       now.Armed,
		Evaluations: now.Evaluations - min(was.Evaluations, now.Evaluations),
		Fired:       now.Fired - min(was.Fired, now.Fired),
		DryRun:      now.DryRun - min(was.DryRun, now.DryRun),
		Absorbed:    now.Absorbed - min(was.Absorbed, now.Absorbed),
		Escaped:     now.Escaped - min(was.Escaped, now.Escaped),
	}
	for k, n := range now.ByKind {
		if n -= min(was.ByKind[k], n); n > 0 {
			if d.ByKind == nil {
				d.ByKind = make(map[faults.Kind]uint64)
			}
			d.ByKind[k] = n
		}
	}
	return d
}

// byPoint indexes a Stats by point.
func byPoint(s chaos.Stats) map[string]chaos.PointStats {
	m := make(map[string]chaos.PointStats, len(s.Points))
	for _, ps := range s.Points {
		m[ps.Point] = ps
	}
	return m
}

// fleetRun is the state of one run of an experiment on a fleet.
type fleetRun struct {
	f    *Fleet
	inst []fleetInstance
}

// fleetInstance is what a run knows of one instance.
type fleetInstance struct {
	before  admin.PlanState             // what it ran when the plan went on
	stats   map[string]chaos.PointStats // its counters then
	applied bool                        // the plan went on
	gen     uint64                      // its generation after the plan went on
}

// fleetOn is faultsOn for a fleet: it reads what every instance runs and
// applies the plan on each, or, if any refuses, on none.
func (r *runner) fleetOn(ctx context.Context, plan chaos.Plan) error {
	fr, fl := r.fleet, r.rep.Fleet
	if err := fr.f.check(); err != nil {
		r.note(PhaseBefore, "plan not applied: "+err.Error())
		return r.fleetFailed(err, "the fleet is not set up: "+err.Error())
	}
	errs := make([]error, len(fr.inst))
	applied := make([]admin.PlanState, len(fr.inst))
	fr.f.each(ctx, func(ctx context.Context, i int, c *admin.Client) {
		fi, ir := &fr.inst[i], &fl.Instances[i]
		status, err := c.Status(ctx)
		if err != nil {
			errs[i] = fmt.Errorf("reading its status: %w", err)
			return
		}
		ir.Instance, ir.Seed = status.Instance, status.Seed
		if fi.before, err = c.Plan(ctx); err != nil {
			errs[i] = fmt.Errorf("reading its plan: %w", err)
			return
		}
		st, err := c.Stats(ctx)
		if err != nil {
			errs[i] = fmt.Errorf("reading its counters: %w", err)
			return
		}
		fi.stats = byPoint(st)
		if applied[i], err = c.ApplyIf(ctx, plan, fi.before.Generation); err != nil {
			errs[i] = fmt.Errorf("applying the plan: %w", err)
			return
		}
		fi.applied, fi.gen = true, applied[i].Generation
		ir.Applied, ir.Clamped = true, applied[i].Clamped
		if status, err = c.Status(ctx); err != nil {
			errs[i] = fmt.Errorf("reading its status: %w", err)
			return
		}
		ir.TookPart = status.Armed
	})
	var failed []error
	for i, err := range errs {
		if err != nil {
			fl.Instances[i].Errors = append(fl.Instances[i].Errors, err.Error())
			failed = append(failed, fmt.Errorf("gameday: instance %s: %w", r.instanceName(i), err))
		}
	}
	if len(failed) > 0 {
		for i, err := range errs {
			if err != nil {
				r.note(PhaseBefore, "instance "+r.instanceName(i)+": "+err.Error())
			}
		}
		r.fleetTakeBack()
		return r.fleetFailed(errors.Join(failed...), fmt.Sprintf("the plan could not be applied on %d of %d instances, so it was taken back off the others: %v", len(failed), len(fr.inst), failed[0]))
	}

	names := make([]string, len(fr.inst))
	stats := make([]map[string]chaos.PointStats, len(fr.inst))
	var tookPart []string
	seeds := make(map[uint64]bool)
	for i := range fr.inst {
		names[i], stats[i] = fl.Instances[i].Instance, fr.inst[i].stats
		seeds[fl.Instances[i].Seed] = true
		if fl.Instances[i].TookPart {
			tookPart = append(tookPart, r.instanceName(i))
		}
	}
	fr.f.setBaseline(names, stats)
	fl.TookPart = len(tookPart)
	if len(seeds) == 1 {
		r.rep.Seed = fl.Instances[0].Seed
	}
	r.rep.Plan = applied[0].Plan
	r.rep.FirstInjection = r.offset()
	part := "none took part"
	if len(tookPart) > 0 {
		part = fmt.Sprintf("%d took part: %s", len(tookPart), strings.Join(tookPart, ", "))
	}
	r.note(PhaseDuring, fmt.Sprintf("plan applied (%d rules) on %d instances, %s: %s", len(plan.Rules), len(fr.inst), part, r.rep.Plan))
	for i := range fr.inst {
		if c := fl.Instances[i].Clamped; len(c) > 0 {
			r.note(PhaseDuring, "instance "+r.instanceName(i)+": its policy clamped the plan: "+strings.Join(c, "; "))
		}
	}
	return nil
}

// fleetFailed ends a fleet run whose plan did not go on.
func (r *runner) fleetFailed(err error, why string) error {
	r.rep.Outcome = OutcomeFailed
	r.rep.Verdict = "The plan could not be applied, so no fault was injected: " + why
	return err
}

// instanceName returns the name of instance i for the report.
func (r *runner) instanceName(i int) string {
	if id := r.rep.Fleet.Instances[i].Instance; id != "" {
		return id
	}
	return r.rep.Fleet.Instances[i].URL
}

// fleetTakeBack puts back what every instance that took the plan ran
// before, after another refused it.
func (r *runner) fleetTakeBack() {
	fr := r.fleet
	msgs := make([]string, len(fr.inst))
	fr.f.each(context.Background(), func(ctx context.Context, i int, c *admin.Client) {
		if fi := &fr.inst[i]; fi.applied {
			msgs[i] = r.fleetRestoreOne(ctx, i, c)
			r.rep.Fleet.Instances[i].TookPart = false
		}
	})
	for i, m := range msgs {
		if m != "" {
			r.note(PhaseBefore, "instance "+r.instanceName(i)+": "+m)
		}
	}
}

// fleetRestore is restore for a fleet after a completed run: every
// instance gets back what it ran before, unless something changed it
// during the run.
func (r *runner) fleetRestore(ctx context.Context) {
	fr := r.fleet
	msgs := make([]string, len(fr.inst))
	fr.f.each(ctx, func(ctx context.Context, i int, c *admin.Client) {
		msgs[i] = r.fleetRestoreOne(ctx, i, c)
	})
	counts := make(map[string][]string)
	var order []string
	for i, m := range msgs {
		if _, ok := counts[m]; !ok {
			order = append(order, m)
		}
		counts[m] = append(counts[m], r.instanceName(i))
	}
	for _, m := range order {
		names := counts[m]
		if len(names) == len(msgs) {
			r.note(PhaseAfter, fmt.Sprintf("%s on all %d instances", m, len(names)))
		} else {
			r.note(PhaseAfter, fmt.Sprintf("%s on %s", m, strings.Join(names, ", ")))
		}
	}
}

// fleetRestoreOne puts back what instance i ran before, on condition that
// it still runs the experiment's plan, and says what it did. A restore
// that fails for another reason throws the instance's kill switch, so that
// no fault is left on.
func (r *runner) fleetRestoreOne(ctx context.Context, i int, c *admin.Client) string {
	fi, ir := &r.fleet.inst[i], &r.rep.Fleet.Instances[i]
	before := fi.before
	_, err := c.ApplyIf(ctx, before.Plan, fi.gen)
	switch {
	case errors.Is(err, chaos.ErrConflict) || errors.Is(err, chaos.ErrDisabled):
		now, serr := c.Plan(ctx)
		switch {
		case serr != nil:
			ir.Errors = append(ir.Errors, "reading its plan after the run: "+serr.Error())
			return "changed during the experiment; left as is"
		case now.Disabled:
			return "kill switch thrown during the experiment" + by(now.DisabledReason) + "; left off"
		case !now.RearmedAt.Equal(before.RearmedAt):
			return "kill switch thrown during the experiment" + by(now.DisabledReason) + " and re-armed" + by(now.RearmedBy) + "; left as is"
		default:
			return fmt.Sprintf("plan replaced during the experiment (source %q); left as is", now.Source)
		}
	case err != nil:
		ir.Errors = append(ir.Errors, "restoring its plan: "+err.Error())
		if st, kerr := c.Kill(ctx, "restore failed: "+err.Error()); kerr != nil || !st.Disabled {
			if kerr != nil {
				ir.Errors = append(ir.Errors, "throwing its kill switch: "+kerr.Error())
			}
			return "could not restore the previous plan, nor throw the kill switch: faults may still be on"
		}
		return "could not restore the previous plan; kill switch thrown"
	case len(before.Plan.Rules) == 0:
		return "faults switched off"
	default:
		return "previous plan restored"
	}
}

// kill throws the kill switch, of the engine or of every instance of the
// fleet at once, and says so for the timeline.
func (r *runner) kill(ctx context.Context, reason string) string {
	if r.fleet == nil {
		r.e.Disable(reason)
		return "kill switch thrown"
	}
	fr, fl := r.fleet, r.rep.Fleet
	fl.KillSent = true
	fr.f.each(context.WithoutCancel(ctx), func(ctx context.Context, i int, c *admin.Client) {
		ir := &fl.Instances[i]
		st, err := c.Kill(ctx, reason)
		switch {
		case err != nil:
			ir.Errors = append(ir.Errors, "throwing its kill switch: "+err.Error())
		case !st.Disabled:
			ir.Errors = append(ir.Errors, "throwing its kill switch: the answer says it is not thrown")
		default:
			ir.Killed = true
		}
	})
	var missing []string
	for i, ir := range fl.Instances {
		if ir.Killed {
			fl.Killed++
		} else {
			missing = append(missing, r.instanceName(i))
		}
	}
	msg := fmt.Sprintf("kill switch thrown on %d of %d instances", fl.Killed, len(fl.Instances))
	if len(missing) > 0 {
		msg += "; not confirmed by " + strings.Join(missing, ", ")
	}
	return msg
}

// fleetCount reads every instance's counters once the faults are off and
// counts what happened while the plan was on, per instance and for the
// fleet.
func (r *runner) fleetCount(ctx context.Context) {
	fr, fl := r.fleet, r.rep.Fleet
	stats := make([]chaos.Stats, len(fr.inst))
	fr.f.each(ctx, func(ctx context.Context, i int, c *admin.Client) {
		if !fr.inst[i].applied {
			return
		}
		var err error
		if stats[i], err = c.Stats(ctx); err != nil {
			fl.Instances[i].Errors = append(fl.Instances[i].Errors, "reading its counters after the run: "+err.Error())
		}
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inj == nil {
		r.inj = make(map[string]*PointInjections)
	}
	for i, st := range stats {
		ir := &fl.Instances[i]
		for _, ps := range st.Points {
			d := deltaStats(ps, fr.inst[i].stats[ps.Point])
			ir.Calls += d.Evaluations
			r.rep.Calls += d.Evaluations
			if d.Fired == 0 && d.DryRun == 0 {
				continue
			}
			ir.Injected += d.Fired
			for k, n := range d.ByKind {
				if ir.ByKind == nil {
					ir.ByKind = make(map[faults.Kind]uint64)
				}
				ir.ByKind[k] += n
			}
			pi := r.inj[ps.Point]
			if pi == nil {
				pi = &PointInjections{Point: ps.Point, ByKind: map[faults.Kind]uint64{}}
				r.inj[ps.Point] = pi
			}
			pi.Calls += d.Evaluations
			pi.Total += d.Fired
			pi.DryRun += d.DryRun
			pi.Absorbed += d.Absorbed
			pi.Escaped += d.Escaped
			for k, n := range d.ByKind {
				pi.ByKind[k] += n
			}
		}
	}
}

// fleetFinal reads the state every instance ended the run in.
func (r *runner) fleetFinal() {
	fl := r.rep.Fleet
	if r.fleet.f.check() != nil {
		return
	}
	r.fleet.f.each(context.Background(), func(ctx context.Context, i int, c *admin.Client) {
		ir := &fl.Instances[i]
		st, err := c.Status(ctx)
		if err != nil {
			ir.Errors = append(ir.Errors, "reading its status after the run: "+err.Error())
			return
		}
		ir.Instance = st.Instance
		ir.Seed = st.Seed
		ir.Disabled, ir.DisabledReason = st.Disabled, st.DisabledReason
	})
}

// startFleet sets a run up to drive the experiment's fleet instead of an
// engine.
func (r *runner) startFleet() {
	f := r.x.Fleet
	r.fleet = &fleetRun{f: f, inst: make([]fleetInstance, len(f.Instances))}
	fl := &FleetReport{Instances: make([]InstanceReport, len(f.Instances))}
	for i, c := range f.Instances {
		if c != nil {
			fl.Instances[i].URL = c.URL()
		}
	}
	r.rep.Fleet = fl
	r.rep.Seed, r.rep.Instance = 0, ""
}
