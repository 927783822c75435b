package gameday

import (
	"fmt"
	"strings"

	"github.com/faultline-go/faultline/faults"
)

// FleetReport is the fleet section of the report of a run on a [Fleet]:
// every instance, whether it took part, and what it did. Its JSON form is
// the report's "fleet" field.
//
// The rest of such a report sums the fleet: Calls and Injections add up
// every instance's counters (with no Sequence: the counters do not say
// which calls fired), Seed is the instances' seed when they share one,
// Instance is empty, and FirstInjection is when the plan went on.
type FleetReport struct {
	// Instances lists every instance of the fleet, in the fleet's order.
	Instances []InstanceReport `json:"instances"`
	// TookPart counts the instances the plan armed.
	TookPart int `json:"took_part"`
	// KillSent reports that the experiment threw the kill switch of every
	// instance (after an abort or an interrupt), and Killed how many
	// instances confirmed it.
	KillSent bool `json:"kill_sent,omitempty"`
	Killed   int  `json:"killed,omitempty"`
}

// InstanceReport is what one instance of a fleet did in a run. Its
// counts cover the time the plan was on, from the instance's counters
// (admin api/stats), so they hold no sequence of injections.
type InstanceReport struct {
	// URL is where the instance's admin handler is mounted.
	URL string `json:"url"`
	// Instance and Seed are the instance's engine's (see
	// chaos.WithInstance and chaos.WithSeed): what a replay of that
	// instance's faults needs. Instance is empty if the instance never
	// answered.
	Instance string `json:"instance,omitempty"`
	Seed     uint64 `json:"seed,string"`
	// Applied reports that the plan went on at the instance.
	Applied bool `json:"applied"`
	// TookPart reports that the plan could fire on the instance while it
	// was on (its admin status said "armed"): false when the rules' share
	// of instances ("instances=50%") left it out.
	TookPart bool `json:"took_part"`
	// Clamped lists what the instance's policy clamped in the plan.
	Clamped []string `json:"clamped,omitempty"`
	// Calls counts the calls evaluated at its armed points while the plan
	// was on, and Injected the faults injected there, ByKind by kind.
	Calls    uint64                 `json:"calls"`
	Injected uint64                 `json:"injected"`
	ByKind   map[faults.Kind]uint64 `json:"by_kind,omitempty"`
	// Killed reports that the instance confirmed the experiment's kill
	// switch.
	Killed bool `json:"killed,omitempty"`
	// Disabled reports that the instance's kill switch was thrown when the
	// run ended, and DisabledReason who threw it.
	Disabled       bool   `json:"disabled"`
	DisabledReason string `json:"disabled_reason,omitempty"`
	// Errors lists what went wrong talking to the instance, in order, as
	// "applying the plan: ...".
	Errors []string `json:"errors,omitempty"`
}

// mdFleet writes the Fleet section of a run on a fleet: one row per
// instance and one for the fleet.
func (r *Report) mdFleet(m *markdown) {
	fl := r.Fleet
	if fl == nil {
		return
	}
	m.printf("## Fleet\n\n")
	applied := 0
	for _, ir := range fl.Instances {
		if ir.Applied {
			applied++
		}
	}
	m.printf("%d instances; the plan went on at %d, and %d took part (the plan could fire there).", len(fl.Instances), applied, fl.TookPart)
	if fl.KillSent {
		m.printf(" The experiment threw the kill switch of every instance: %d of %d confirmed.", fl.Killed, len(fl.Instances))
	}
	m.printf("\n\n| Instance | Admin URL | Seed | Took part | Calls | Injected | Kill switch at the end |\n|---|---|---:|---|---:|---:|---|\n")
	var calls, injected uint64
	disabled := 0
	for _, ir := range fl.Instances {
		calls += ir.Calls
		injected += ir.Injected
		if ir.Disabled {
			disabled++
		}
		name := ir.Instance
		if name == "" {
			name = "?"
		}
		m.printf("| `%s` | %s | %d | %s | %d | %d | %s |\n", name, ir.URL, ir.Seed, yesNo(ir.TookPart), ir.Calls, ir.Injected, killText(ir))
	}
	m.printf("| **fleet** | | | %d of %d | %d | %d | %d of %d thrown |\n\n", fl.TookPart, len(fl.Instances), calls, injected, disabled, len(fl.Instances))
	var problems []string
	for _, ir := range fl.Instances {
		for _, e := range ir.Errors {
			name := ir.Instance
			if name == "" {
				name = ir.URL
			}
			problems = append(problems, fmt.Sprintf("- `%s`: %s\n", name, strings.ReplaceAll(e, "\n", " ")))
		}
	}
	if len(problems) > 0 {
		m.printf("What went wrong talking to the instances:\n\n%s\n", strings.Join(problems, ""))
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// killText says what an instance's kill switch was at the end of the run.
func killText(ir InstanceReport) string {
	var s string
	switch {
	case ir.Disabled && ir.Killed:
		s = "thrown, confirmed"
	case ir.Disabled:
		s = "thrown"
	case ir.Killed:
		s = "confirmed, but armed at the end"
	default:
		s = "armed"
	}
	if ir.Disabled && ir.DisabledReason != "" {
		s += " (" + ir.DisabledReason + ")"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}
