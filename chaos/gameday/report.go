package gameday

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/probes"
)

// ReportSchema names the version of the report's JSON form. Every
// duration in it is an integer number of nanoseconds in a field whose name
// ends in _ns (the plan's own fields keep the plan's form, as in "200ms").
//
// v2 added the probe figures (metric, value, threshold, unit, samples),
// the settle and recovery times, the environment, the calls, absorbed and
// escaped counts per point, and repeat counts in the timeline; it renamed
// the probe result's "duration" to "duration_ns" and the cohort
// quantiles' "p50" and the like to "p50_ns".
//
// A v2 report of a run on a [Fleet] carries a "fleet" section as well
// ([FleetReport]); reports of runs on one engine leave it out, and readers
// that do not know it skip it, so the schema stays v2.
const ReportSchema = "faultline.report/v2"

// reportSchemaV1 is the schema before v2. [ParseReport] still reads it, so
// that old reports replay: their seed, instance and plan are unchanged.
const reportSchemaV1 = "faultline.report/v1"

// Phase is the part of a run a timeline entry or probe result belongs to.
type Phase string

// The phases of a run.
const (
	PhaseBefore   Phase = "before"   // checking the steady state before the faults
	PhaseDuring   Phase = "during"   // while the faults are on
	PhaseStop     Phase = "stop"     // a stop-condition check while the faults are on
	PhaseRecovery Phase = "recovery" // settling after the faults are off, before the steady state is back
	PhaseAfter    Phase = "after"    // after the faults are off
)

// Report is the record of one experiment run: what was tried, what
// happened, and enough to replay it (the seed, the instance and the plan as
// applied). It renders as JSON ([Report.JSON]) and as a Markdown
// post-mortem draft ([Report.Markdown]); with the same seed, plan and
// simulated time both are byte-identical from run to run.
type Report struct {
	// Schema is ReportSchema.
	Schema string `json:"schema"`
	// Title and Hypothesis come from the experiment.
	Title      string `json:"title"`
	Hypothesis string `json:"hypothesis,omitempty"`
	// Seed and Instance are the engine's, for replay.
	Seed     uint64 `json:"seed,string"`
	Instance string `json:"instance,omitempty"`
	// Plan is the plan as applied, after the cohort and any clamping.
	Plan chaos.Plan `json:"plan"`
	// Started and Ended bound the run.
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
	// Duration, Interval and Settle are the experiment's settings, after
	// defaults.
	Duration time.Duration `json:"duration_ns"`
	Interval time.Duration `json:"interval_ns"`
	Settle   time.Duration `json:"settle_ns"`
	// Environment describes what the experiment ran against.
	Environment Environment `json:"environment"`
	// ReplayCommand is the experiment's command that runs it again.
	ReplayCommand string `json:"replay_command,omitempty"`
	// Outcome is how the run ended.
	Outcome Outcome `json:"status"`
	// Deviated reports that the steady state failed while or after the
	// faults were on: the hypothesis did not hold.
	Deviated bool `json:"deviated"`
	// Verdict says in a sentence or two what happened.
	Verdict string `json:"verdict"`
	// StopReason names the stop condition that aborted the run.
	StopReason string `json:"stop_reason,omitempty"`
	// FirstInjection and FaultsOff are offsets from Started: the first
	// fault injected, and the faults switched off.
	FirstInjection time.Duration `json:"first_injection_ns,omitempty"`
	FaultsOff      time.Duration `json:"faults_off_ns,omitempty"`
	// Recovered reports that the steady state held again within the
	// settle time after the faults went off, and Recovery how long after
	// FaultsOff it was first seen holding (0: at the first check).
	Recovered bool          `json:"recovered"`
	Recovery  time.Duration `json:"recovery_ns"`
	// Calls counts the calls evaluated at the points the plan armed while
	// it was on, at every point.
	Calls uint64 `json:"calls"`
	// Timeline lists what happened, in order.
	Timeline []TimelineEntry `json:"timeline"`
	// Injections counts the faults injected at each point, sorted by point.
	Injections []PointInjections `json:"injections"`
	// Probes lists every probe result, in order.
	Probes []ProbeRecord `json:"probes"`
	// Cohort compares the experiment and control cohorts, if the
	// experiment had one.
	Cohort *CohortReport `json:"cohort,omitempty"`
	// RollbackErrors lists the rollbacks that failed, as "NAME: ERROR".
	RollbackErrors []string `json:"rollback_errors,omitempty"`
	// Fleet lists the instances of a run on a [Fleet], with what each
	// did; nil for a run on one engine.
	Fleet *FleetReport `json:"fleet,omitempty"`
}

// TimelineEntry is one line of a report's timeline. A probe that fails on
// several checks in a row, with nothing else happening in between, makes
// one entry: the message of its first failure, Count failures in all, the
// last at Until.
type TimelineEntry struct {
	At      time.Duration `json:"at_ns"` // offset from the start of the run
	Phase   Phase         `json:"phase"`
	Message string        `json:"message"`
	Count   int           `json:"count,omitempty"`    // 0 or 1: once
	Until   time.Duration `json:"until_ns,omitempty"` // the last repeat, when Count > 1
}

// ProbeRecord is one probe result in a report.
type ProbeRecord struct {
	At     time.Duration `json:"at_ns"` // offset from the start of the run
	Phase  Phase         `json:"phase"`
	Result probes.Result `json:"result"`
}

// PointInjections counts the faults injected at one point, and what
// became of them.
type PointInjections struct {
	Point string `json:"point"`
	// Calls counts the calls evaluated at the point while the plan was on.
	Calls uint64 `json:"calls"`
	Total uint64 `json:"total"`
	// Absorbed and Escaped count the injected errors that resilience code
	// absorbed, and that reached its caller (see faults.Absorbed and
	// faults.Escaped). Errors no resilience code saw are in neither.
	Absorbed uint64                 `json:"absorbed,omitempty"`
	Escaped  uint64                 `json:"escaped,omitempty"`
	ByKind   map[faults.Kind]uint64 `json:"by_kind"`
	DryRun   uint64                 `json:"dry_run,omitempty"`
	// Sequence lists the injections in the order they were observed, up to
	// the experiment's MaxRecorded; Truncated reports that more happened.
	Sequence  []Injection `json:"sequence"`
	Truncated bool        `json:"truncated,omitempty"`
}

// Injection is one recorded injection: the call's sequence number at its
// point, the rule that fired and the kind of fault.
type Injection struct {
	Seq  uint64      `json:"seq"`
	Rule int         `json:"rule"`
	Kind faults.Kind `json:"kind"`
}

// CohortReport compares the SLIs of the experiment and control cohorts.
type CohortReport struct {
	Label      string              `json:"label"`
	Share      float64             `json:"share"`
	Experiment *probes.SampleStats `json:"experiment,omitempty"`
	Control    *probes.SampleStats `json:"control,omitempty"`
}

// JSON returns the report as indented JSON, ending in a newline.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("gameday: encoding report: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseReport decodes a report from its JSON form and checks its schema.
// It reads [ReportSchema], and v1 reports too, whose seed, instance and
// plan replay as before; fields v1 lacked stay zero.
func ParseReport(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("gameday: decoding report: %w", err)
	}
	if r.Schema != ReportSchema && r.Schema != reportSchemaV1 {
		return nil, fmt.Errorf("gameday: report schema %q, want %q", r.Schema, ReportSchema)
	}
	return &r, nil
}

// ReadReport reads a report from a JSON file, as [ParseReport] does.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gameday: reading report: %w", err)
	}
	return ParseReport(b)
}
