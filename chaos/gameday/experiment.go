package chaos

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/mix"
	"github.com/faultline-go/faultline/probes"
)

// Experiment is a game day in code: a hypothesis about the steady state,
// the probes that show it, the faults to switch on, how long, when to stop
// at once, and what to put back afterwards. Its zero fields mean defaults;
// see [Experiment.Run].
type Experiment struct {
	// Title names the experiment in its report.
	Title string
	// Hypothesis states what should hold while the faults are on, as in
	// "checkout keeps a 99% success ratio while the database is slow".
	Hypothesis string
	// Engine runs the plan. Nil means [Default].
	Engine *Engine
	// Plan is switched on for Duration.
	Plan Plan
	// SteadyState holds the probes that show the steady state. They must
	// all pass before any fault is switched on; they are checked on every
	// interval while the faults are on, and once more after the rollback.
	// A failure while faults are on or after marks the run as deviated.
	SteadyState []probes.Probe
	// StopWhen holds the stop conditions: probes that must keep passing
	// while the faults are on. The first that fails aborts the run at once:
	// the kill switch is thrown within one interval. Empty means the run is
	// never aborted.
	StopWhen []probes.Probe
	// Method, if set, runs while the faults are on, as the action of the
	// experiment (driving load, failing over). Its context ends when the
	// faults are switched off. Nil means none.
	Method func(ctx context.Context) error
	// Rollbacks run after the faults are switched off, whatever happened,
	// in order, with a context that outlives a cancelled Run by
	// RollbackTimeout.
	Rollbacks []Rollback
	// Duration is how long the faults stay on. Zero means one minute.
	Duration time.Duration
	// Interval is how often probes and stop conditions are checked. Zero
	// means Duration/10, and at least 10ms.
	Interval time.Duration
	// RollbackTimeout bounds the rollbacks and the probes after them. Zero
	// means 30 seconds.
	RollbackTimeout time.Duration
	// Cohort, if set, confines the faults to a sticky share of keys and
	// compares the experiment and control cohorts in the report.
	Cohort *Cohort
	// MaxRecorded caps the injections recorded per point in the report.
	// Zero means 1,000.
	MaxRecorded int
	// Notify, if set, is called with each timeline entry as it is
	// recorded, for progress displays. It runs on the goroutine that
	// recorded the entry, possibly an injecting one, so it must be quick.
	Notify func(TimelineEntry)
}

// Rollback is a named action that puts something back after an experiment.
type Rollback struct {
	// Name names the rollback in the report's timeline.
	Name string
	// Do puts the thing back. An error is recorded in the report and the
	// next rollback still runs.
	Do func(ctx context.Context) error
}

// Cohort confines an experiment's faults to a sticky share of keys, in the
// manner of Netflix's ChAP: every call carrying a key in the experiment
// cohort fails as the plan says, and the other keys form the control
// cohort. Route outcomes to the two windows with [Engine.InCohort].
type Cohort struct {
	// Label names the label that carries the key, as in "user".
	Label string
	// Share is the share of keys in the experiment cohort, in (0,1].
	Share float64
	// Experiment and Control are the SLI windows fed with the outcomes of
	// the two cohorts. Nil windows are left out of the report.
	Experiment, Control *probes.SampleWindow
}

// InCohort reports whether key is in a cohort of the given share, by the
// same sticky decision rules with Rule.Sticky make: it depends only on the
// engine's seed and the key.
func (e *Engine) InCohort(key string, share float64) bool {
	return mix.Below(mix.Mix(stickyKey(e.seed)^mix.String(key)), mix.Threshold(share))
}

// Status is how an experiment ended.
type Status string

// The statuses of a run.
const (
	// StatusCompleted: the faults ran their full duration.
	StatusCompleted Status = "completed"
	// StatusFailed: the steady state did not hold before the faults, or the
	// plan could not be applied; no fault was switched on.
	StatusFailed Status = "failed"
	// StatusAborted: a stop condition tripped and the faults were switched
	// off early.
	StatusAborted Status = "aborted"
	// StatusInterrupted: the context ended the run early.
	StatusInterrupted Status = "interrupted"
)

// Errors from [Experiment.Run].
var (
	// ErrSteadyState is returned when the steady state does not hold before
	// the experiment.
	ErrSteadyState = errors.New("chaos: steady state did not hold before the experiment")
	// ErrAborted is returned when a stop condition aborted the run.
	ErrAborted = errors.New("chaos: experiment aborted by a stop condition")
)

// Run runs the experiment and returns its report, which is complete
// whatever the outcome:
//
//  1. It checks the steady state. If a probe fails, nothing is switched
//     on, the method never runs, and the status is failed.
//  2. It applies the plan through the engine, so the engine's policy
//     bounds it, and starts the method.
//  3. Every interval it checks the stop conditions, then the steady-state
//     probes. When a stop condition fails it throws the kill switch at once
//     and the status is aborted.
//  4. After Duration, an abort or the end of ctx (status interrupted), it
//     switches the faults off and puts back what was active before, runs
//     the rollbacks, and checks the steady state again. After an abort or
//     an interrupt it throws the kill switch instead (reason "experiment
//     <Title>: stop condition <name>" or "experiment <Title>: interrupted")
//     and leaves it thrown: only [Engine.Rearm] turns the engine back on.
//
// Run never undoes what someone else did to the engine. The plan goes on
// only if the engine has not changed since Run read what was active
// ([IfGeneration]), and what was active is put back only if the engine
// still runs the experiment's plan: when an operator threw the kill
// switch, or another applier replaced the plan, during the run, Run leaves
// the engine as it is and the report's timeline says so. A kill switch
// thrown before Run fails it with [ErrDisabled], no fault switched on.
//
// The error is nil for a completed run, even one whose hypothesis did not
// hold (see Report.Deviated); it matches [ErrSteadyState] or [ErrAborted],
// is the context's error for an interrupted run, and the engine's error
// for a plan that could not be applied (the policy's, [ErrDisabled] or
// [ErrConflict]).
func (x *Experiment) Run(ctx context.Context) (*Report, error) {
	e := x.Engine
	if e == nil {
		e = Default()
	}
	duration := cmp.Or(x.Duration, time.Minute)
	interval := x.Interval
	if interval <= 0 {
		interval = max(duration/10, 10*time.Millisecond)
	}
	r := &runner{x: x, e: e, start: time.Now(), maxRec: cmp.Or(x.MaxRecorded, 1000)}
	r.rep = &Report{
		Schema:     ReportSchema,
		Title:      x.Title,
		Hypothesis: x.Hypothesis,
		Seed:       e.Seed(),
		Instance:   e.Instance(),
		Started:    r.start,
		Duration:   duration,
		Interval:   interval,
	}
	defer r.finish()

	// 1. The steady state before.
	r.note(PhaseBefore, "checking the steady state")
	if !r.probe(ctx, PhaseBefore, x.SteadyState) {
		r.rep.Status = StatusFailed
		r.rep.Verdict = "The steady state did not hold before the experiment, so no fault was injected."
		return r.rep, ErrSteadyState
	}

	// 2. The faults on.
	plan := x.effectivePlan()
	before := e.Active()
	remove := e.AddObserver(ObserverFunc(r.observe))
	defer remove()
	if err := e.Apply(plan, FromSource("experiment: "+x.Title), IfGeneration(before.Generation)); err != nil {
		r.rep.Status = StatusFailed
		r.rep.Verdict = "The plan could not be applied, so no fault was injected: " + err.Error()
		switch {
		case errors.Is(err, ErrDisabled):
			r.note(PhaseBefore, "plan not applied: the kill switch is thrown"+by(before.DisabledReason)+"; re-arm the engine first")
		case errors.Is(err, ErrConflict):
			r.note(PhaseBefore, "plan not applied: the engine changed as the experiment started")
		default:
			r.note(PhaseBefore, "plan refused: "+err.Error())
		}
		return r.rep, err
	}
	r.rep.Plan = e.Active().Plan
	r.note(PhaseDuring, fmt.Sprintf("plan applied (%d rules): %s", len(plan.Rules), r.rep.Plan))

	methodCtx, stopMethod := context.WithCancel(ctx)
	var methodDone sync.WaitGroup
	if x.Method != nil {
		methodDone.Add(1)
		go func() {
			defer methodDone.Done()
			if err := x.Method(methodCtx); err != nil && methodCtx.Err() == nil {
				r.note(PhaseDuring, "method failed: "+err.Error())
			}
		}()
	}

	// 3. Probe on the interval until the end, a stop condition or ctx.
	var runErr error
	deadline := time.NewTimer(duration)
	ticker := time.NewTicker(interval)
loop:
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
			e.Disable("experiment " + x.Title + ": interrupted")
			r.rep.Status = StatusInterrupted
			r.note(PhaseDuring, "interrupted: "+ctx.Err().Error()+"; kill switch thrown")
			runErr = ctx.Err()
			break loop
		case !tick || time.Since(r.start) >= duration:
			r.rep.Status = StatusCompleted
			r.note(PhaseDuring, "duration elapsed")
			break loop
		default:
			if failed := r.stopCheck(ctx); failed != "" {
				e.Disable("experiment " + x.Title + ": stop condition " + failed)
				r.rep.Status = StatusAborted
				r.rep.StopReason = failed
				r.note(PhaseDuring, "stop condition "+failed+" tripped; kill switch thrown")
				runErr = ErrAborted
				break loop
			}
			if !r.probe(ctx, PhaseDuring, x.SteadyState) {
				r.rep.Deviated = true
			}
		}
	}
	ticker.Stop()
	deadline.Stop()
	stopMethod()
	methodDone.Wait()

	// 4. Off, roll back, probe after.
	r.rep.FaultsOff = time.Since(r.start)
	after, cancel := context.WithTimeout(context.WithoutCancel(ctx), cmp.Or(x.RollbackTimeout, 30*time.Second))
	defer cancel()
	r.restore(before)
	for _, rb := range x.Rollbacks {
		if err := rb.Do(after); err != nil {
			r.rep.RollbackErrors = append(r.rep.RollbackErrors, rb.Name+": "+err.Error())
			r.note(PhaseAfter, "rollback "+rb.Name+" failed: "+err.Error())
		} else {
			r.note(PhaseAfter, "rollback "+rb.Name+" done")
		}
	}
	if !r.probe(after, PhaseAfter, x.SteadyState) {
		r.rep.Deviated = true
	}
	r.rep.Verdict = r.verdict()
	return r.rep, runErr
}

// effectivePlan is the plan with the cohort applied to every rule.
func (x *Experiment) effectivePlan() Plan {
	p := clonePlan(x.Plan)
	if x.Cohort != nil && x.Cohort.Label != "" {
		for i := range p.Rules {
			p.Rules[i].Sticky = x.Cohort.Label
			p.Rules[i].Rate = x.Cohort.Share
		}
	}
	return p
}

// runner holds the state of one run.
type runner struct {
	x      *Experiment
	e      *Engine
	start  time.Time
	maxRec int

	mu  sync.Mutex // guards rep.Timeline and injections while faults are on
	rep *Report
	inj map[string]*PointInjections
}

func (r *runner) offset() time.Duration { return time.Since(r.start) }

func (r *runner) note(phase Phase, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(TimelineEntry{At: r.offset(), Phase: phase, Message: msg})
}

// add appends an entry to the timeline. r.mu is held.
func (r *runner) add(e TimelineEntry) {
	r.rep.Timeline = append(r.rep.Timeline, e)
	if r.x.Notify != nil {
		r.x.Notify(e)
	}
}

// observe records an injection; it runs on the injecting goroutine.
func (r *runner) observe(_ context.Context, ev Event) {
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
	if !res.OK {
		msg := "probe " + res.Probe + " failed: " + res.Observed
		if res.Observed == "" {
			msg += res.Err
		}
		r.add(TimelineEntry{At: at, Phase: phase, Message: msg})
	}
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

// restore puts back before, what was active before the experiment (the
// previous plan, or no plan), if the engine still runs the experiment's
// plan: the one Apply that moved it on from before's generation. After an
// abort or an interrupt the kill switch stays thrown, so that nothing is
// switched back on before someone has looked; and what someone else did
// to the engine during the run (the kill switch, another plan) stays.
func (r *runner) restore(before Active) {
	switch r.rep.Status {
	case StatusAborted:
		r.note(PhaseAfter, "faults left off: the kill switch stays thrown after an abort")
		return
	case StatusInterrupted:
		r.note(PhaseAfter, "faults left off: the kill switch stays thrown after an interrupt")
		return
	}
	switch err := r.e.Restore(before, IfGeneration(before.Generation+1)); {
	case errors.Is(err, ErrConflict) || errors.Is(err, ErrDisabled):
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

// by returns " by reason", or "" for no reason.
func by(reason string) string {
	if reason == "" {
		return ""
	}
	return " by " + reason
}

// finish fills in what every report has, whatever path the run took.
func (r *runner) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.Ended = r.start.Add(r.offset())
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
		r.rep.Plan = clonePlan(r.x.effectivePlan())
	}
}

func (r *runner) verdict() string {
	rep := r.rep
	var total uint64
	for _, pi := range r.inj {
		total += pi.Total
	}
	var s string
	switch rep.Status {
	case StatusCompleted:
		s = fmt.Sprintf("The experiment ran its full %v and injected %d faults.", rep.Duration, total)
	case StatusAborted:
		s = fmt.Sprintf("The stop condition %s tripped after %v; the faults were switched off at once, after %d injections.", rep.StopReason, rep.FaultsOff.Round(time.Millisecond), total)
	case StatusInterrupted:
		s = fmt.Sprintf("The run was interrupted after %v and %d injections.", rep.FaultsOff.Round(time.Millisecond), total)
	}
	if rep.Deviated {
		s += " The hypothesis did not hold: the steady state deviated."
	} else if rep.Status == StatusCompleted {
		s += " The hypothesis held: the steady state did not deviate."
	}
	if len(rep.RollbackErrors) > 0 {
		s += fmt.Sprintf(" %d rollbacks failed.", len(rep.RollbackErrors))
	}
	return s
}

// failedProbes returns the names of the probes that failed in the phases
// given, in the order of their first failure.
func (rep *Report) failedProbes(phases ...Phase) []string {
	var names []string
	for _, p := range rep.Probes {
		if !p.Result.OK && slices.Contains(phases, p.Phase) && !slices.Contains(names, p.Result.Probe) {
			names = append(names, p.Result.Probe)
		}
	}
	return names
}
