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

// ReportSchema names the version of the report's JSON form. A reader
// refuses a report of another schema.
const ReportSchema = "faultline.report/v1"

// Phase is the part of a run a timeline entry or probe result belongs to.
type Phase string

// The phases of a run.
const (
	PhaseBefore Phase = "before" // checking the steady state before the faults
	PhaseDuring Phase = "during" // while the faults are on
	PhaseStop   Phase = "stop"   // a stop-condition check while the faults are on
	PhaseAfter  Phase = "after"  // after the faults are off
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
	// Duration and Interval are the experiment's settings.
	Duration time.Duration `json:"duration_ns"`
	Interval time.Duration `json:"interval_ns"`
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
}

// TimelineEntry is one line of a report's timeline.
type TimelineEntry struct {
	At      time.Duration `json:"at_ns"` // offset from the start of the run
	Phase   Phase         `json:"phase"`
	Message string        `json:"message"`
}

// ProbeRecord is one probe result in a report.
type ProbeRecord struct {
	At     time.Duration `json:"at_ns"` // offset from the start of the run
	Phase  Phase         `json:"phase"`
	Result probes.Result `json:"result"`
}

// PointInjections counts the faults injected at one point.
type PointInjections struct {
	Point  string                 `json:"point"`
	Total  uint64                 `json:"total"`
	ByKind map[faults.Kind]uint64 `json:"by_kind"`
	DryRun uint64                 `json:"dry_run,omitempty"`
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
func ParseReport(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("gameday: decoding report: %w", err)
	}
	if r.Schema != ReportSchema {
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
