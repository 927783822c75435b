package gameday

import (
	"context"
	"errors"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/probes"
)

// Experiment is a game day in code: a hypothesis about the steady state,
// the probes that show it, the faults to switch on, how long, when to stop
// at once, and what to put back afterwards. Its zero fields mean defaults;
// see [Experiment.Run]. An Experiment may be run more than once, but not
// concurrently with itself on one engine.
type Experiment struct {
	// Title names the experiment in its report.
	Title string
	// Hypothesis states what should hold while the faults are on, as in
	// "checkout keeps a 99% success ratio while the database is slow".
	Hypothesis string
	// Engine runs the plan. Nil means [chaos.Default]. It is not used
	// when Fleet is set.
	Engine *chaos.Engine
	// Fleet, if set, runs the plan on every instance of a fleet through
	// its admin API instead of on Engine, and the report gets a fleet
	// section; see [Fleet]. Nil means the plan runs on Engine.
	Fleet *Fleet
	// Plan is switched on for Duration.
	Plan chaos.Plan
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
	// RollbackTimeout bounds the rollbacks and the probes after them,
	// beyond Settle. Zero means 30 seconds.
	RollbackTimeout time.Duration
	// Settle is how long, at most, the steady state may take to come back
	// once the faults are off and the rollbacks have run. The steady-state
	// probes are checked at once and then every Interval until they all
	// pass or Settle has elapsed; the report says how long recovery took.
	// Zero means the longest [probes.Settling.SettleTime] of the
	// steady-state probes (a window probe trails its window by the
	// window's max age), or one Interval when none reports one. Negative
	// means no settling: one check right after the rollbacks.
	Settle time.Duration
	// Environment describes what the experiment ran against, for the
	// report. Its zero fields mean defaults; see [Environment].
	Environment Environment
	// ReplayCommand is the command that runs the game day again with the
	// same seed, as in "go run ./cmd/gameday -seed 7", shown in the
	// report. Empty means none is shown; the report always names the
	// seed and instance that chaostest.Replay uses.
	ReplayCommand string
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

// Environment describes what an experiment ran against. Its JSON form is
// the report's "environment" field.
type Environment struct {
	// Service names the system under test, as in "orders". Empty means
	// none is shown.
	Service string `json:"service,omitempty"`
	// ServiceVersion is its version. Empty means the main module's
	// version from the binary's build information, if it has one.
	ServiceVersion string `json:"service_version,omitempty"`
	// GoVersion is the Go release the binary was built with. Empty means
	// [runtime.Version].
	GoVersion string `json:"go_version,omitempty"`
	// Host is the machine the experiment ran on. Empty means
	// [os.Hostname].
	Host string `json:"host,omitempty"`
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
// cohort. Route outcomes to the two windows with [chaos.Engine.InCohort].
type Cohort struct {
	// Label names the label that carries the key, as in "user".
	Label string
	// Share is the share of keys in the experiment cohort, in (0,1].
	Share float64
	// Experiment and Control are the SLI windows fed with the outcomes of
	// the two cohorts. Nil windows are left out of the report.
	Experiment, Control *probes.SampleWindow
}

// Outcome is how an experiment run ended. Its JSON form is the report's
// "status" field.
type Outcome string

// The outcomes of a run.
const (
	// OutcomeCompleted: the faults ran their full duration.
	OutcomeCompleted Outcome = "completed"
	// OutcomeFailed: the steady state did not hold before the faults, or
	// the plan could not be applied; no fault was switched on.
	OutcomeFailed Outcome = "failed"
	// OutcomeAborted: a stop condition tripped and the faults were
	// switched off early.
	OutcomeAborted Outcome = "aborted"
	// OutcomeInterrupted: the context ended the run early.
	OutcomeInterrupted Outcome = "interrupted"
)

// Errors from [Experiment.Run].
var (
	// ErrSteadyState is returned when the steady state does not hold before
	// the experiment.
	ErrSteadyState = errors.New("gameday: steady state did not hold before the experiment")
	// ErrAborted is returned when a stop condition aborted the run.
	ErrAborted = errors.New("gameday: experiment aborted by a stop condition")
)

// Run runs the experiment and returns its report, which is complete
// whatever the outcome:
//
//  1. It checks the steady state. If a probe fails, nothing is switched
//     on, the method never runs, and the outcome is failed.
//  2. It applies the plan through the engine, so the engine's policy
//     bounds it, and starts the method.
//  3. Every interval it checks the stop conditions, then the steady-state
//     probes. When a stop condition fails it throws the kill switch at once
//     and the outcome is aborted.
//  4. After Duration, an abort or the end of ctx (outcome interrupted), it
//     switches the faults off and puts back what was active before, runs
//     the rollbacks, and checks the steady state again, every Interval for
//     up to Settle, until it holds; the report says how long recovery
//     took. After an abort or
//     an interrupt it throws the kill switch instead (reason "experiment
//     <Title>: stop condition <name>" or "experiment <Title>: interrupted")
//     and leaves it thrown: only [chaos.Engine.Rearm] turns the engine
//     back on.
//
// Run never undoes what someone else did to the engine. The plan goes on
// only if the engine has not changed since Run read what was active
// ([chaos.IfGeneration]), and what was active is put back only if the
// engine still runs the experiment's plan: when an operator threw the kill
// switch, or another applier replaced the plan, during the run, Run leaves
// the engine as it is and the report's timeline says so. A kill switch
// thrown before Run fails it with [chaos.ErrDisabled], no fault switched on.
//
// The error is nil for a completed run, even one whose hypothesis did not
// hold (see Report.Deviated); it matches [ErrSteadyState] or [ErrAborted],
// is the context's error for an interrupted run, and the engine's error
// for a plan that could not be applied (the policy's, [chaos.ErrDisabled]
// or [chaos.ErrConflict]).
//
// With a [Fleet], Run does the same to every instance at once: the plan
// goes on everywhere or nowhere, the kill switch is thrown on every
// instance, and each instance gets back what it ran before. The error for
// a plan that could not be applied joins one error per instance that
// refused it, each naming the instance and matching what it answered.
func (x *Experiment) Run(ctx context.Context) (*Report, error) {
	r := x.newRunner()
	defer r.finish()

	// 1. The steady state before.
	if err := r.steadyStateBefore(ctx); err != nil {
		return r.rep, err
	}

	// 2. The faults on, and the method started.
	remove, err := r.faultsOn(ctx)
	defer remove()
	if err != nil {
		return r.rep, err
	}

	// 3. Probe on the interval until the end, a stop condition or ctx.
	runErr := r.probeLoop(ctx)
	r.stopMethod()

	// 4. Off, roll back, probe after.
	after, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.rollbackTimeout+max(r.settle, 0))
	defer cancel()
	r.rollBack(after)
	r.steadyStateAfter(after)
	r.rep.Verdict = r.verdict()
	return r.rep, runErr
}

// effectivePlan is a copy of the plan with the cohort applied to every
// rule.
func (x *Experiment) effectivePlan() chaos.Plan {
	p := chaos.ClonePlan(x.Plan)
	if x.Cohort != nil && x.Cohort.Label != "" {
		for i := range p.Rules {
			p.Rules[i].Sticky = x.Cohort.Label
			p.Rules[i].Rate = x.Cohort.Share
		}
	}
	return p
}
