package gameday

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/probes"
)

// runner holds the state of one run of an experiment. Its methods are the
// phases of [Experiment.Run], in order.
type runner struct {
	x               *Experiment
	e               *chaos.Engine
	start           time.Time
	duration        time.Duration
	interval        time.Duration
	rollbackTimeout time.Duration
	settle          time.Duration // <= 0: one check after the rollbacks
	maxRec          int

	// before is what was active when the faults went on: what rollBack
	// puts back.
	before chaos.Active
	// stopMethod ends the method and waits for it to return.
	stopMethod func()

	// statsBefore holds the engine's point counters when the faults went
	// on, so that the report counts only what happened during the run.
	statsBefore map[string]chaos.PointStats

	// fleet, when the experiment has a Fleet, drives it instead of e.
	fleet *fleetRun

	mu  sync.Mutex // guards rep.Timeline and injections while faults are on
	rep *Report
	inj map[string]*PointInjections
	// open maps a repeating probe failure ("phase/probe") to its timeline
	// entry, which further failures extend rather than repeat. Any other
	// entry, or the probe passing, closes it.
	open map[string]int
}

// newRunner settles the experiment's defaults and starts its report.
func (x *Experiment) newRunner() *runner {
	e := x.Engine
	if e == nil {
		e = chaos.Default()
	}
	duration := cmp.Or(x.Duration, time.Minute)
	interval := x.Interval
	if interval <= 0 {
		interval = max(duration/10, 10*time.Millisecond)
	}
	r := &runner{
		x: x, e: e, start: time.Now(),
		duration: duration, interval: interval,
		rollbackTimeout: cmp.Or(x.RollbackTimeout, 30*time.Second),
		settle:          x.settle(interval),
		maxRec:          cmp.Or(x.MaxRecorded, 1000),
		stopMethod:      func() {},
	}
	r.rep = &Report{
		Schema:        ReportSchema,
		Title:         x.Title,
		Hypothesis:    x.Hypothesis,
		Seed:          e.Seed(),
		Instance:      e.Instance(),
		Started:       r.start,
		Duration:      duration,
		Interval:      interval,
		Settle:        max(r.settle, 0),
		Environment:   x.Environment.withDefaults(),
		ReplayCommand: x.ReplayCommand,
	}
	if x.Fleet != nil {
		r.startFleet()
	}
	return r
}

// settle returns the experiment's settle time, with its default.
func (x *Experiment) settle(interval time.Duration) time.Duration {
	if x.Settle != 0 {
		return x.Settle
	}
	var longest time.Duration
	for _, p := range x.SteadyState {
		if s, ok := p.(probes.Settling); ok {
			longest = max(longest, s.SettleTime())
		}
	}
	if longest == 0 {
		return interval
	}
	return longest
}

// withDefaults fills in the fields of an Environment left empty.
func (env Environment) withDefaults() Environment {
	if env.ServiceVersion == "" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			env.ServiceVersion = bi.Main.Version
		}
	}
	env.GoVersion = cmp.Or(env.GoVersion, runtime.Version())
	if env.Host == "" {
		env.Host, _ = os.Hostname()
	}
	return env
}

// steadyStateBefore is phase 1: it checks the steady state, and fails the
// run with [ErrSteadyState] if it does not hold.
func (r *runner) steadyStateBefore(ctx context.Context) error {
	r.note(PhaseBefore, "checking the steady state")
	if !r.probe(ctx, PhaseBefore, r.x.SteadyState) {
		r.rep.Outcome = OutcomeFailed
		r.rep.Verdict = "The steady state did not hold before the experiment, so no fault was injected."
		return ErrSteadyState
	}
	return nil
}

// faultsOn is phase 2: it starts observing injections, applies the plan
// if the engine has not changed since it read what was active, and starts
// the method. remove stops the observing; it is never nil.
func (r *runner) faultsOn(ctx context.Context) (remove func(), err error) {
	plan := r.x.effectivePlan()
	if r.fleet != nil {
		if err := r.fleetOn(ctx, plan); err != nil {
			return func() {}, err
		}
		r.startMethod(ctx)
		return func() {}, nil
	}
	r.before = r.e.Active()
	r.statsBefore = make(map[string]chaos.PointStats)
	for _, ps := range r.e.Stats().Points {
		r.statsBefore[ps.Point] = ps
	}
	remove = r.e.AddObserver(chaos.ObserverFunc(r.observe))
	err = r.e.Apply(plan, chaos.FromSource("experiment: "+r.x.Title), chaos.IfGeneration(r.before.Generation))
	if err != nil {
		r.rep.Outcome = OutcomeFailed
		r.rep.Verdict = "The plan could not be applied, so no fault was injected: " + err.Error()
		switch {
		case errors.Is(err, chaos.ErrDisabled):
			r.note(PhaseBefore, "plan not applied: the kill switch is thrown"+by(r.before.DisabledReason)+"; re-arm the engine first")
		case errors.Is(err, chaos.ErrConflict):
			r.note(PhaseBefore, "plan not applied: the engine changed as the experiment started")
		default:
			r.note(PhaseBefore, "plan refused: "+err.Error())
		}
		return remove, err
	}
	r.rep.Plan = r.e.Active().Plan
	r.note(PhaseDuring, fmt.Sprintf("plan applied (%d rules): %s", len(plan.Rules), r.rep.Plan))
	r.startMethod(ctx)
	return remove, nil
}

// startMethod runs the experiment's method, if it has one, until
// r.stopMethod, which also records when the faults went off.
func (r *runner) startMethod(ctx context.Context) {
	methodCtx, cancel := context.WithCancel(ctx)
	var done sync.WaitGroup
	if r.x.Method != nil {
		done.Go(func() {
			if err := r.x.Method(methodCtx); err != nil && methodCtx.Err() == nil {
				r.note(PhaseDuring, "method failed: "+err.Error())
			}
		})
	}
	r.stopMethod = func() {
		cancel()
		done.Wait()
		r.rep.FaultsOff = r.offset()
	}
}

// probeLoop is phase 3: it probes on the interval until the duration
// elapses, a stop condition fails or ctx ends, and sets the outcome. After
// a stop condition or the end of ctx it throws the kill switch and returns
// [ErrAborted] or the context's error.
func (r *runner) probeLoop(ctx context.Context) error {
	deadline := time.NewTimer(r.duration)
	defer deadline.Stop()
	ticker := time.NewTicker(r.interval)
	defer ticker.Stop()
	for {
		// When several are ready at one instant, the end of ctx comes first,
		// then the end of the run, then the probes, so that a run in
		// simulated time takes the same path every time.
		var tick bool
		select {
		case <-ctx.Done():
		case <-deadline.C:
		case <-ticker.C:
			tick = true
		}
		switch {
		case ctx.Err() != nil:
			killed := r.kill(ctx, "experiment "+r.x.Title+": interrupted")
			r.rep.Outcome = OutcomeInterrupted
			r.note(PhaseDuring, "interrupted: "+ctx.Err().Error()+"; "+killed)
			return ctx.Err()
		case !tick || r.offset() >= r.duration:
			r.rep.Outcome = OutcomeCompleted
			r.note(PhaseDuring, "duration elapsed")
			return nil
		}
		if failed := r.stopCheck(ctx); failed != "" {
			killed := r.kill(ctx, "experiment "+r.x.Title+": stop condition "+failed)
			r.rep.Outcome = OutcomeAborted
			r.rep.StopReason = failed
			r.note(PhaseDuring, "stop condition "+failed+" tripped; "+killed)
			return ErrAborted
		}
		if !r.probe(ctx, PhaseDuring, r.x.SteadyState) {
			r.rep.Deviated = true
		}
	}
}

// rollBack is phase 4: it puts back what was active before, unless the
// run ended with the kill switch thrown, and runs the rollbacks in order,
// whatever happened.
func (r *runner) rollBack(ctx context.Context) {
	if r.fleet != nil {
		r.fleetCount(ctx)
	}
	r.restore(ctx)
	for _, rb := range r.x.Rollbacks {
		if err := rb.Do(ctx); err != nil {
			r.rep.RollbackErrors = append(r.rep.RollbackErrors, rb.Name+": "+err.Error())
			r.note(PhaseAfter, "rollback "+rb.Name+" failed: "+err.Error())
		} else {
			r.note(PhaseAfter, "rollback "+rb.Name+" done")
		}
	}
}

// restore puts back r.before, what was active before the experiment (the
// previous plan, or no plan), if the engine still runs the experiment's
// plan: the one Apply that moved it on from before's generation. After an
// abort or an interrupt the kill switch stays thrown, so that nothing is
// switched back on before someone has looked; and what someone else did
// to the engine during the run (the kill switch, another plan) stays.
func (r *runner) restore(ctx context.Context) {
	switch r.rep.Outcome {
	case OutcomeAborted:
		r.note(PhaseAfter, "faults left off: the kill switch stays thrown after an abort")
		return
	case OutcomeInterrupted:
		r.note(PhaseAfter, "faults left off: the kill switch stays thrown after an interrupt")
		return
	}
	if r.fleet != nil {
		r.fleetRestore(ctx)
		return
	}
	before := r.before
	switch err := r.e.Restore(before, chaos.IfGeneration(before.Generation+1)); {
	case errors.Is(err, chaos.ErrConflict) || errors.Is(err, chaos.ErrDisabled):
		switch now := r.e.Active(); {
		case now.Disabled:
			r.note(PhaseAfter, "kill switch thrown during the experiment"+by(now.DisabledReason)+"; left off")
		case !now.RearmedAt.Equal(before.RearmedAt):
			r.note(PhaseAfter, "kill switch thrown during the experiment"+by(now.DisabledReason)+" and re-armed"+by(now.RearmedBy)+"; left as is")
		default:
			r.note(PhaseAfter, fmt.Sprintf("plan replaced during the experiment (source %q); left as is", now.Source))
		}
	case err != nil:
		r.note(PhaseAfter, "could not restore the previous plan ("+err.Error()+"); kill switch thrown")
	case len(before.Plan.Rules) == 0:
		r.note(PhaseAfter, "faults switched off")
	default:
		r.note(PhaseAfter, "previous plan restored")
	}
}

// steadyStateAfter is phase 5: it checks the steady state at once and
// then every interval until it holds or the settle time has elapsed since
// the faults went off, records how long recovery took, and marks the run
// deviated if the steady state did not come back. Checks that fail while
// it settles are recorded in PhaseRecovery; the last check, passing or
// not, in PhaseAfter.
func (r *runner) steadyStateAfter(ctx context.Context) {
	deadline := r.rep.FaultsOff + r.settle
	for first := true; ; first = false {
		results := make([]probes.Result, len(r.x.SteadyState))
		ok := true
		for i, p := range r.x.SteadyState {
			results[i] = p.Check(ctx)
			ok = ok && results[i].OK
		}
		now := r.offset()
		final := ok || now >= deadline || ctx.Err() != nil
		phase := PhaseRecovery
		if final {
			phase = PhaseAfter
		}
		for _, res := range results {
			r.record(phase, res)
		}
		if final {
			if first {
				now = r.rep.FaultsOff // held at once: no recovery to time
			}
			r.recovered(ok, now)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(r.interval, deadline-now)):
		}
	}
}

// recovered records whether the steady state came back, and when: at, an
// offset from the start of the run, is FaultsOff when the first check
// passed.
func (r *runner) recovered(ok bool, at time.Duration) {
	rep := r.rep
	if !ok {
		rep.Deviated = true
		r.note(PhaseAfter, fmt.Sprintf("steady state not back %v after the faults went off (settle time %v)", (at-rep.FaultsOff).Round(time.Millisecond), rep.Settle))
		return
	}
	rep.Recovered = true
	rep.Recovery = at - rep.FaultsOff
	if rep.Recovery == 0 {
		r.note(PhaseAfter, "steady state holds right after the faults went off")
	} else {
		r.note(PhaseAfter, fmt.Sprintf("steady state back %v after the faults went off", rep.Recovery.Round(time.Millisecond)))
	}
}

// finish is the last phase, whatever path the run took: it fills in what
// every report has.
func (r *runner) finish() {
	if r.fleet != nil {
		r.fleetFinal()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.Ended = r.start.Add(r.offset())
	if r.statsBefore != nil {
		for _, ps := range r.e.Stats().Points {
			was := r.statsBefore[ps.Point]
			calls := ps.Evaluations - was.Evaluations
			r.rep.Calls += calls
			if pi := r.inj[ps.Point]; pi != nil {
				pi.Calls = calls
				pi.Absorbed = ps.Absorbed - was.Absorbed
				pi.Escaped = ps.Escaped - was.Escaped
			}
		}
	}
	for _, pi := range r.inj {
		r.rep.Injections = append(r.rep.Injections, *pi)
	}
	sort.Slice(r.rep.Injections, func(i, j int) bool { return r.rep.Injections[i].Point < r.rep.Injections[j].Point })
	if c := r.x.Cohort; c != nil {
		cr := &CohortReport{Label: c.Label, Share: c.Share}
		if c.Experiment != nil {
			s := c.Experiment.Snapshot()
			cr.Experiment = &s
		}
		if c.Control != nil {
			s := c.Control.Snapshot()
			cr.Control = &s
		}
		r.rep.Cohort = cr
	}
	if r.rep.Plan.Rules == nil {
		r.rep.Plan = r.x.effectivePlan()
	}
}

func (r *runner) offset() time.Duration { return time.Since(r.start) }

func (r *runner) note(phase Phase, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(TimelineEntry{At: r.offset(), Phase: phase, Message: msg})
}

// add appends an entry to the timeline and closes every open repeat. r.mu
// is held.
func (r *runner) add(e TimelineEntry) {
	clear(r.open)
	r.rep.Timeline = append(r.rep.Timeline, e)
	if r.x.Notify != nil {
		r.x.Notify(e)
	}
}

// addRepeat records a probe failure: it extends the open entry of the same
// failure (same probe, same phase, nothing else recorded since) with one
// more count and a later end, or appends a new entry and opens it. Notify
// sees every failure, repeated or not. r.mu is held.
func (r *runner) addRepeat(key string, e TimelineEntry) {
	if i, ok := r.open[key]; ok {
		t := &r.rep.Timeline[i]
		t.Count = max(t.Count, 1) + 1
		t.Until = e.At
		if r.x.Notify != nil {
			r.x.Notify(e)
		}
		return
	}
	r.add(e)
	if r.open == nil {
		r.open = make(map[string]int)
	}
	r.open[key] = len(r.rep.Timeline) - 1
}

// observe records an injection; it runs on the injecting goroutine.
func (r *runner) observe(_ context.Context, ev chaos.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inj == nil {
		r.inj = make(map[string]*PointInjections)
		r.add(TimelineEntry{At: r.offset(), Phase: PhaseDuring,
			Message: fmt.Sprintf("first injection: %v at %s", ev.Fault, ev.Point)})
		r.rep.FirstInjection = r.offset()
	}
	pi := r.inj[ev.Point]
	if pi == nil {
		pi = &PointInjections{Point: ev.Point, ByKind: map[faults.Kind]uint64{}}
		r.inj[ev.Point] = pi
	}
	pi.Total++
	pi.ByKind[ev.Fault.Kind]++
	if ev.DryRun {
		pi.DryRun++
	}
	if len(pi.Sequence) < r.maxRec {
		pi.Sequence = append(pi.Sequence, Injection{Seq: ev.Seq, Rule: ev.Rule, Kind: ev.Fault.Kind})
	} else {
		pi.Truncated = true
	}
}

// probe checks ps, records the results, and reports whether all passed.
func (r *runner) probe(ctx context.Context, phase Phase, ps []probes.Probe) bool {
	ok := true
	for _, p := range ps {
		res := p.Check(ctx)
		r.record(phase, res)
		ok = ok && res.OK
	}
	return ok
}

func (r *runner) record(phase Phase, res probes.Result) {
	at := r.offset()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.Probes = append(r.rep.Probes, ProbeRecord{At: at, Phase: phase, Result: res})
	key := string(phase) + "/" + res.Probe
	if res.OK {
		delete(r.open, key)
		return
	}
	msg := "probe " + res.Probe + " failed: " + res.Observed
	if res.Observed == "" {
		msg += res.Err
	}
	r.addRepeat(key, TimelineEntry{At: at, Phase: phase, Message: msg})
}

// stopCheck checks the stop conditions and returns the name of the first
// that fails, or "".
func (r *runner) stopCheck(ctx context.Context) string {
	for _, p := range r.x.StopWhen {
		res := p.Check(ctx)
		r.record(PhaseStop, res)
		if !res.OK {
			return res.Probe
		}
	}
	return ""
}

// verdict says in a sentence or two what happened, for a run that got
// past phase 2.
func (r *runner) verdict() string {
	rep := r.rep
	var total uint64
	r.mu.Lock()
	for _, pi := range r.inj {
		total += pi.Total
	}
	r.mu.Unlock()
	var s string
	switch rep.Outcome {
	case OutcomeCompleted:
		s = fmt.Sprintf("The experiment ran its full %v and injected %d faults.", rep.Duration, total)
	case OutcomeAborted:
		s = fmt.Sprintf("The stop condition %s tripped after %v; the faults were switched off at once, after %d injections.", rep.StopReason, rep.FaultsOff.Round(time.Millisecond), total)
	case OutcomeInterrupted:
		s = fmt.Sprintf("The run was interrupted after %v and %d injections.", rep.FaultsOff.Round(time.Millisecond), total)
	}
	switch {
	case rep.Recovered && rep.Recovery > 0:
		s += fmt.Sprintf(" The steady state was back %v after the faults went off.", rep.Recovery.Round(time.Millisecond))
	case !rep.Recovered:
		s += fmt.Sprintf(" The steady state was not back within the %v settle time.", rep.Settle)
	}
	if rep.Deviated {
		s += " The hypothesis did not hold: the steady state deviated."
	} else if rep.Outcome == OutcomeCompleted {
		s += " The hypothesis held: the steady state did not deviate."
	}
	if len(rep.RollbackErrors) > 0 {
		s += fmt.Sprintf(" %d rollbacks failed.", len(rep.RollbackErrors))
	}
	return s
}

// by returns " by reason", or "" for no reason.
func by(reason string) string {
	if reason == "" {
		return ""
	}
	return " by " + reason
}
